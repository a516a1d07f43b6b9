"""Distributed Map gaps of moto 5.2.5's Step Functions interpreter (LocalStack's), closed for the emulator.

What the service does ("Distributed Map state", "ResultWriter", AWS Step Functions Developer Guide) and
moto does not:

1. Every iteration is a child execution with a history of its own; moto gives all iterations of a
   Map Run one shared event list (so the 25,000-event limit of ``limits.py`` would count them together).
2. A failed iteration fails the Map state with ``States.ExceedToleratedFailureThreshold`` once more
   iterations failed than ``ToleratedFailureCount`` / ``ToleratedFailurePercentage`` allow (default 0);
   moto counts the failure and carries on, so the Map "succeeds" with holes.
3. ``ResultWriter`` (``arn:aws:states:::s3:putObject``) writes ``<Prefix>/<map run id>/manifest.json``
   and the results (``SUCCEEDED_0.json``, ``FAILED_0.json``: arrays of child-execution records with
   ``Input``/``Output``/``Error``/``Cause`` as JSON strings) and lists them in the manifest; moto writes
   an empty manifest only, and evaluated its ``Parameters`` paths against the Map's outputs instead of
   the state input.
4. An iteration (inline or distributed) that fails with a ``States.*`` error passes that error up to
   the Map state, as the service does; moto rebuilds it as a custom error name, which refuses the
   ``States.`` prefix, so the Map failed with an unrelated parser message instead.
5. moto's workers recurse once per item they take; a long Map Run exhausted Python's stack. The
   worker loop here is iterative.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from . import limits

_RESULTS_ATTR = "_emulator_results"
# States entered in Distributed Map iterations (child executions moto does not list), per parent execution.
_ITERATION_STATES: dict[str, set[str]] = {}
# Error names of every failure event in those iterations (retried ones included), per parent execution.
_ITERATION_ERRORS: dict[str, list[str]] = {}
_iteration_lock = threading.Lock()


def iteration_states(execution_arn: str) -> set[str]:
    """Names of the states entered by any Distributed Map iteration that ``execution_arn`` ran."""
    with _iteration_lock:
        return set(_ITERATION_STATES.get(execution_arn, ()))


def iteration_errors(execution_arn: str) -> list[str]:
    """Error names of the failure events (``*FailedEventDetails``) in the iterations ``execution_arn`` ran."""
    with _iteration_lock:
        return list(_ITERATION_ERRORS.get(execution_arn, ()))


def reset() -> None:
    with _iteration_lock:
        _ITERATION_STATES.clear()
        _ITERATION_ERRORS.clear()


def _records(map_run_record: Any) -> tuple[threading.Lock, list[dict[str, Any]]]:
    found = getattr(map_run_record, _RESULTS_ATTR, None)
    if found is None:
        found = (threading.Lock(), [])
        setattr(map_run_record, _RESULTS_ATTR, found)
    return found


def tolerance_exceeded(failed: int, total: int, count: int | None, percentage: float | None) -> bool:
    """Whether ``failed`` of ``total`` iterations is more than the Map tolerates (both bounds apply)."""
    if failed == 0:
        return False
    if count is not None and count > 0 and failed <= count:
        return False
    if percentage is not None and percentage > 0 and total and failed * 100.0 / total <= percentage:
        return False
    return True


def _patch_iteration_error_names() -> None:
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker

    def error_name_for(error_name: str):
        if isinstance(error_name, str) and error_name.startswith("States."):
            return StatesErrorName.from_name(error_name)
        return CustomErrorName(error_name=error_name)

    iteration_worker.CustomErrorName = error_name_for


def _patch_iterative_workers() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
        distributed_item_processor_worker as worker,
    )

    def _inline_eval_pool(self, job, worker_frame):
        # IterationWorker._eval_pool of moto 5.2.5, as a loop.
        while True:
            if job is None:
                self._env.close_frame(worker_frame)
                return
            job_frame = worker_frame.open_inner_frame()
            self._eval_job(env=job_frame, job=job)
            worker_frame.close_frame(job_frame)
            if isinstance(job.job_output, Exception) or self.stopped():
                self._env.close_frame(worker_frame)
                self._job_pool.close_job(job)
                return
            next_job = self._job_pool.next_job()
            if next_job is None:
                worker_frame.event_history_context.source_event_id = (
                    job_frame.event_history_context.last_published_event_id
                )
                self._env.close_frame(worker_frame)
                self._job_pool.close_job(job)
                return
            self._job_pool.close_job(job)
            job = next_job

    def _distributed_eval_pool(self, job, worker_frame):
        # DistributedItemProcessorWorker._eval_pool of moto 5.2.5, as a loop.
        while True:
            if job is None:
                self._env.delete_frame(worker_frame)
                return
            job_frame = worker_frame.open_inner_frame()
            self._eval_job(env=job_frame, job=job)
            worker_frame.delete_frame(job_frame)
            if isinstance(job.job_output, Exception) or self.stopped():
                self._env.delete_frame(worker_frame)
                self._job_pool.close_job(job)
                return
            next_job = self._job_pool.next_job()
            if next_job is None:
                self._env.delete_frame(worker_frame)
                self._job_pool.close_job(job)
                return
            self._job_pool.close_job(job)
            job = next_job

    iteration_worker.IterationWorker._eval_pool = _inline_eval_pool
    worker.DistributedItemProcessorWorker._eval_pool = _distributed_eval_pool


def apply() -> None:
    _patch_iteration_error_names()
    _patch_iterative_workers()
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as component,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
        distributed_item_processor_worker as worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
        resource_eval_s3,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError

    # 1 + outcome of every iteration, for 2 and 3.
    worker_cls = worker.DistributedItemProcessorWorker
    original_job = worker_cls._eval_job

    def _eval_job(self, env, job):
        env.event_manager = EventManager()  # the child execution's own history
        original_job(self, env, job)
        events = list(getattr(env.event_manager, "_history_event_list", ()))
        limits.OBSERVED.history(len(events))
        entered = {e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e}
        errors = [
            details["error"]
            for e in events
            for name, details in e.items()
            if name.endswith("FailedEventDetails") and isinstance(details, dict) and details.get("error")
        ]
        with _iteration_lock:
            _ITERATION_STATES.setdefault(self._map_run_record.execution_arn, set()).update(entered)
            _ITERATION_ERRORS.setdefault(self._map_run_record.execution_arn, []).extend(errors)
        state = env.program_state()
        record: dict[str, Any] = {"Index": job.job_index, "Input": json.dumps(job.job_input)}
        if isinstance(state, ProgramError) or job.job_output is None:
            error = (state.error or {}) if isinstance(state, ProgramError) else {}
            record.update(Status="FAILED", Error=error.get("error"), Cause=error.get("cause"))
        else:
            record.update(Status="SUCCEEDED", Output=json.dumps(job.job_output))
        lock, records = _records(self._map_run_record)
        with lock:
            records.append(record)

    worker_cls._eval_job = _eval_job

    # 2. Failure tolerance.
    component_cls = component.DistributedIterationComponent
    original_map_run = component_cls._map_run

    def _map_run(self, env, eval_input):
        original_map_run(self, env, eval_input)
        record = eval_input.map_run_record
        lock, records = _records(record)
        with lock:
            failed = [r for r in records if r["Status"] == "FAILED"]
            total = len(records)
        if tolerance_exceeded(len(failed), total, record.tolerated_failure_count, record.tolerated_failure_percentage):
            first = min(failed, key=lambda r: r["Index"])
            cause = (
                f"The specified tolerated failure threshold was exceeded: {len(failed)} of {total} "
                f"iterations failed; first failure (item {first['Index']}): {first.get('Error')}: {first.get('Cause')}"
            )
            error_name = StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold)
            raise FailureEventException(
                failure_event=FailureEvent(
                    env=env,
                    error_name=error_name,
                    event_type=HistoryEventType.MapRunFailed,
                    event_details=EventDetails(
                        evaluationFailedEventDetails=EvaluationFailedEventDetails(
                            error=error_name.error_name, cause=cause
                        )
                    ),
                )
            )

    component_cls._map_run = _map_run

    # 3. ResultWriter: results files and a manifest that lists them.
    writer_cls = resource_eval_s3.ResourceEvalS3

    def _handle_put_object(env, resource_runtime_part, state_credentials):
        parameters = env.stack.pop()
        env.stack.pop()  # the Map's outputs: the service writes them to S3, not into the state
        s3 = writer_cls._get_s3_client(resource_runtime_part=resource_runtime_part, state_credentials=state_credentials)
        map_run_record = env.map_run_record_pool_manager.get_all()[-1]
        map_run_arn = map_run_record.map_run_arn
        bucket = parameters["Bucket"]
        prefix = parameters.get("Prefix", "")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        base = f"{prefix}{map_run_arn.split(':')[-1]}/"
        lock, records = _records(map_run_record)
        with lock:
            ordered = sorted(records, key=lambda r: r["Index"])
        files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        for status in ("SUCCEEDED", "FAILED"):
            rows = [
                {
                    "ExecutionArn": f"{map_run_arn.replace(':mapRun:', ':execution:')}:{r['Index']}",
                    "Input": r["Input"],
                    "Name": str(r["Index"]),
                    "Status": status,
                    "StateMachineArn": map_run_record.map_state_machine_arn,
                    **(
                        {"Output": r["Output"]} if status == "SUCCEEDED" else {"Error": r["Error"], "Cause": r["Cause"]}
                    ),
                }
                for r in ordered
                if r["Status"] == status
            ]
            if rows:
                key = f"{base}{status}_0.json"
                body = json.dumps(rows).encode("utf-8")
                s3.put_object(Bucket=bucket, Key=key, Body=body)
                files[status].append({"Key": key, "Size": len(body)})
        manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files}
        key = base + "manifest.json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest, indent=2).encode("utf-8"))
        env.stack.append({"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}})

    writer_cls._handle_put_object = staticmethod(_handle_put_object)

    # ResultWriter Parameters paths select from the Map state's input (moto evaluated them on the outputs).
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer import result_writer_decl

    def _writer_eval_body(self, env):
        outputs = env.stack.pop()
        env.stack.append(env.states.get_input())
        self.parargs.eval(env=env)
        parameters = env.stack.pop()
        env.stack.pop()
        env.stack.append(outputs)
        env.stack.append(parameters)
        self.resource_eval.eval_resource(env=env)

    result_writer_decl.ResultWriter._eval_body = _writer_eval_body
