"""The run contract: what the workflow's Lambdas, the evaluator image, the templates and the emulator
agree on, defined once here and imported everywhere.

- :mod:`.errors`: every exception class whose name is a Step Functions error name (``errorType``);
- :mod:`.tags`: the tag keys a run's billed resources carry and the ownership rule they decide;
- :mod:`.layout`: the S3 keys of a run (``runs/<run id>/...``) and of the evaluation cache.

The evaluator image ships this package beside ``bertscore_evaluator`` (``evaluator/Dockerfile``), so
nothing here may import more than the standard library and botocore.
"""
