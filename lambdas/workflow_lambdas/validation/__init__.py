"""The checks of ``ValidateInput``, one concern a module (``workflow_lambdas.validate_input`` is the handler).

- ``problems``: ``Problem`` (one line of ``InvalidInput``) and the ``Problems`` accumulator;
- ``settings``: the function's environment; ``workflow_lambdas.contract.evaluation``: ``Evaluation`` and its defaults;
- ``run_context``: the run context the state machine carries (``$.run``);
- ``schema_messages``: JSON Schema errors as problems; ``check``: one validation pass (input, environment);
- ``names``: resource names, request tokens, tags; ``model_checks``, ``deployment``, ``hyperparameters``,
  ``evaluation_checks``, ``sweep``: the checks of the input's fields;
- ``dataset_text``, ``training_data``, ``validation_data``: the datasets' contents (no AWS);
  ``fetch``: reading them; ``dataset_inputs``: the datasets an input names;
- ``context``: ``validate_execution_input``, the whole check, building the run context.
"""
