"""Marks the suite adds by file or test id: applied by tests/conftest.py, checked by test_suite_marks.py."""

from __future__ import annotations

# Tests that share something across tests of a file (a module-scoped server or emulator, a tool venv
# installed on first use under .tools/) stay on one pytest-xdist worker (make test: --dist loadgroup).
XDIST_GROUPS = {
    "tests/terraform/test_checkov.py": "checkov-venv",
    "tests/terraform/test_asl_validator.py": "asl-validator-install",
    "tests/workflow/test_cli_server.py": "cli-server",
    "tests/workflow/test_bad_inputs.py": "bad-inputs-emulator",
    "tests/browser/test_report_page.py": "chromium",
}
CHECKOV_FILES = {"tests/terraform/test_checkov.py"}
# Workflow tests whose runs reach the evaluator and so load the BERTScore model (found by recording,
# per test, every call of bertscore_evaluator.scoring.score_models). Unit tests mark themselves.
SLOW_WORKFLOW_TESTS = {
    "tests/workflow/test_cli_server.py::test_start_watch_and_report_a_run",
    "tests/workflow/test_customization_run.py::test_custom_model_better_keeps_throughput_and_reports",
    "tests/workflow/test_customization_run.py::test_custom_model_worse_deletes_throughput_and_says_so",
    "tests/workflow/test_customization_run.py::test_two_runs_with_the_same_input_do_not_collide",
    "tests/workflow/test_failure_messages.py::test_the_printed_example_runs_on_the_bundled_sample_data",
    "tests/workflow/test_fanout.py::test_poison_record_is_one_error_line_per_model_and_counted_in_the_report",
    "tests/workflow/test_fanout.py::test_shard_stopped_at_the_lambda_deadline_resumes_without_duplicates",
    "tests/workflow/test_fanout.py::test_two_shards_two_models_throttled_at_30_percent_lose_nothing",
    "tests/workflow/test_run_stopped.py::test_a_succeeded_run_never_reaches_the_safety_net",
    "tests/workflow/test_run_stopped.py::test_the_scheduled_sweep_catches_a_lost_status_event_and_spares_a_kept_winner",
    # The fault matrix: every case whose run scores (it succeeds, or fails after the evaluator ran).
    *(
        f"tests/workflow/test_fault_matrix.py::test_fault_matrix[{case}]"
        for case in (
            "custom_better",
            "custom_worse",
            "custom_same",
            "same_policy_keep",
            "better_policy_release",
            "inference_throttled",
            "child_timeout",
            "ses_reject",
            "release_first_delete_throttled",
            "ses_reject+better",
            "release_throttled+child_timeout",
            "throttled+worse",
        )
    ),
    # The on-demand path (issue 11): the cases whose run scores.
    *(
        f"tests/workflow/test_fault_matrix.py::test_on_demand_fault_matrix[{case}]"
        for case in (
            "od_better",
            "od_worse",
            "od_same",
            "od_same_keep",
            "od_better_release",
            "od_winner_throughput",
            "od_winner_throughput_failed",
            "od_winner_throughput_never",
            "od_child_timeout",
            "od_release_throttled",
            "od_ses_reject+better",
        )
    ),
    "tests/workflow/test_evaluation_cache.py::test_a_second_run_reuses_base_answers_and_embeds_only_new_outputs_with_identical_scores",
    "tests/workflow/test_judge_run.py::test_judge_guard_holds_for_a_better_model_and_the_report_shows_win_rate_and_reasons",
    "tests/workflow/test_judge_run.py::test_judge_decides_against_a_worse_model_through_throttling_and_unparsable_answers",
    "tests/workflow/test_judge_run.py::test_demo_judge_prints_the_win_rate_and_reasons",
    "tests/workflow/test_score_concurrency_run.py::test_shards_map_runs_inference_plus_score_concurrency_at_once",
    "tests/workflow/test_on_demand.py::test_nova_2_lite_runs_on_demand_without_a_throughput",
    "tests/workflow/test_on_demand.py::test_losing_deployment_is_deleted",
    "tests/workflow/test_on_demand.py::test_winner_kept_as_a_throughput_bought_after_the_verdict",
    "tests/workflow/test_on_demand.py::test_provisioned_on_request",
    "tests/workflow/test_on_demand.py::test_demo_json_for_a_base_model[amazon.nova-2-lite-v1:0:256k-on_demand]",
    "tests/workflow/test_on_demand.py::test_demo_json_for_a_base_model[meta.llama3-1-8b-instruct-v1:0:128k-provisioned]",
    # The candidate sweep: every run that reaches the evaluation.
    "tests/workflow/test_sweep.py::test_the_better_candidate_is_kept_and_the_others_released[provisioned]",
    "tests/workflow/test_sweep.py::test_the_better_candidate_is_kept_and_the_others_released[on_demand]",
    "tests/workflow/test_sweep.py::test_no_candidate_better_releases_all",
    "tests/workflow/test_sweep.py::test_demo_sweep_json",
    "tests/workflow/test_sweep.py::test_demo_sweep_with_a_failed_candidate_prints_the_leaderboard",
    "tests/workflow/test_sweep_faults.py::test_one_candidates_job_fails_the_others_go_on[provisioned]",
    "tests/workflow/test_sweep_faults.py::test_one_candidates_job_fails_the_others_go_on[on_demand]",
    "tests/workflow/test_sweep_faults.py::test_a_job_that_returns_failed_is_caught_by_the_candidates_status_check",
    "tests/workflow/test_sweep_faults.py::test_one_candidates_serving_never_ready_is_released[provisioned]",
    "tests/workflow/test_sweep_faults.py::test_one_candidates_serving_never_ready_is_released[on_demand]",
    "tests/workflow/test_sweep_faults.py::test_delete_throttled_for_one_loser_is_retried",
    "tests/workflow/test_sweep_faults.py::test_losing_custom_models_are_deleted_when_asked",
    "tests/workflow/test_sweep_faults.py::test_a_single_served_candidate_is_evaluated_alone",
    "tests/workflow/test_on_demand.py::test_demo_json_for_a_base_model[meta.llama3-3-70b-instruct-v1:0:128k-on_demand]",
    "tests/workflow/test_customization_config.py::test_distillation_job_receives_the_teacher",
    "tests/workflow/test_customization_config.py::test_fine_tuning_run_creates_its_job_without_a_customization_config",
    # The templates' guards (issue 15, ASL mutation): the runs that reach the evaluation.
    "tests/workflow/test_asl_guards.py::test_every_task_rides_out_the_transient_errors_of_its_service[verdict]",
    "tests/workflow/test_asl_guards.py::test_every_task_rides_out_the_transient_errors_of_its_service[on_demand]",
    "tests/workflow/test_asl_guards.py::test_the_shards_map_keeps_to_its_concurrency",
    "tests/workflow/test_asl_guards.py::test_every_sweep_candidate_rides_out_the_transient_errors_of_its_service",
}
