"""Registry of base models and family rules."""

from __future__ import annotations

import pytest

from workflow_lambdas import model_families as mf


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("amazon.nova-micro-v1:0:128k", "amazon.nova-micro-v1:0"),
        ("amazon.nova-lite-v1:0:300k", "amazon.nova-lite-v1:0"),
        ("amazon.nova-pro-v1:0:300k", "amazon.nova-pro-v1:0"),
        ("cohere.command-light-text-v14:7:4k", "cohere.command-light-text-v14"),
        ("cohere.command-text-v14:7:4k", "cohere.command-text-v14"),
        ("amazon.titan-text-express-v1:0:8k", "amazon.titan-text-express-v1"),
        ("amazon.titan-text-lite-v1:0:4k", "amazon.titan-text-lite-v1"),
        ("meta.llama3-1-8b-instruct-v1:0:128k", "meta.llama3-1-8b-instruct-v1:0"),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", "anthropic.claude-3-haiku-20240307-v1:0"),
        # unknown models: only the context suffix goes
        ("amazon.nova-2-lite-v1:0:256k", "amazon.nova-2-lite-v1:0"),
        ("example.some-model-v2:1:32k", "example.some-model-v2:1"),
        ("example.some-model-v2:1", "example.some-model-v2:1"),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k", "amazon.nova-micro-v1:0"),
        ("arn:aws:bedrock:us-east-1::foundation-model/example.m-v1:0:8k", "example.m-v1:0"),
    ],
)
def test_inference_model_id(identifier, expected):
    assert mf.inference_model_id(identifier) == expected


@pytest.mark.parametrize(
    ("model_id", "family"),
    [
        ("amazon.nova-micro-v1:0:128k", mf.NOVA),
        ("amazon.nova-micro-v1:0", mf.NOVA),
        ("us.amazon.nova-lite-v1:0", mf.NOVA),
        ("amazon.nova-2-lite-v1:0", mf.NOVA),
        ("arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0", mf.NOVA),
        ("amazon.titan-text-express-v1", mf.TITAN),
        ("amazon.titan-text-lite-v1:0:4k", mf.TITAN),
        ("meta.llama3-2-3b-instruct-v1:0", mf.LLAMA),
        ("us.meta.llama3-2-1b-instruct-v1:0", mf.LLAMA),
        ("eu.meta.llama3-1-8b-instruct-v1:0", mf.LLAMA),
        ("anthropic.claude-3-haiku-20240307-v1:0", mf.CLAUDE),
        ("global.anthropic.claude-3-haiku-20240307-v1:0", mf.CLAUDE),
        ("cohere.command-light-text-v14", mf.COHERE),
        ("cohere.command-text-v14:7:4k", mf.COHERE),
        ("amazon.titan-embed-text-v2:0", None),
        ("amazon.nova-canvas-v1:0", None),
        ("cohere.embed-english-v3", None),
        ("mistral.mistral-large-2402-v1:0", None),
        ("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123", None),
        ("", None),
    ],
)
def test_family_of(model_id, family):
    assert mf.family_of(model_id) == family


def test_every_family_has_rules():
    assert set(mf.FAMILY_RULES) == set(mf.FAMILIES)


@pytest.mark.parametrize("identifier", sorted(mf.BASE_MODELS))
def test_each_base_model_has_the_family_bedrock_shapes_its_bodies_by(identifier):
    """Validation's family of a model is the one (emulated) Bedrock reads InvokeModel bodies for."""
    from bedrock_customize.emulator.bedrock import family_of_model_id

    assert mf.family_of(identifier) == mf.BASE_MODELS[identifier].family == family_of_model_id(identifier)


@pytest.mark.parametrize("identifier", sorted(mf.BASE_MODELS))
def test_registry_is_consistent(identifier):
    model = mf.BASE_MODELS[identifier]
    assert mf.family_of(identifier) == model.family
    assert mf.family_of(model.inference_id) == model.family
    assert mf.inference_model_id(identifier) == model.inference_id
    assert mf.lookup(identifier) is model
    assert set(mf.customization_types_for(model)) <= set(mf.CUSTOMIZATION_TYPES)
    for hp in mf.hyperparameters_for(model):
        assert hp.kind in ("int", "float", "bool")
        if hp.kind != "bool":
            assert hp.minimum is not None and hp.maximum is not None and hp.minimum <= hp.maximum
    assert mf.max_output_tokens_for(model) > 0


def test_required_models_are_known():
    for identifier in [
        "amazon.nova-micro-v1:0:128k",
        "amazon.nova-lite-v1:0:300k",
        "amazon.nova-pro-v1:0:300k",
        "amazon.titan-text-lite-v1:0:4k",
        "amazon.titan-text-express-v1:0:8k",
        "meta.llama3-1-8b-instruct-v1:0:128k",
        "meta.llama3-1-70b-instruct-v1:0:128k",
        "meta.llama3-2-1b-instruct-v1:0:128k",
        "meta.llama3-2-3b-instruct-v1:0:128k",
        "meta.llama3-2-11b-instruct-v1:0:128k",
        "meta.llama3-2-90b-instruct-v1:0:128k",
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "cohere.command-text-v14:7:4k",
        "cohere.command-light-text-v14:7:4k",
    ]:
        assert mf.lookup(identifier) is not None, identifier


def test_family_rules():
    nova = mf.family_rules(mf.NOVA)
    assert nova.hyperparameter("epochCount").maximum == 5
    assert nova.hyperparameter("learningRate").minimum == 1e-6
    assert nova.hyperparameter("learningRateWarmupSteps").maximum == 100
    assert nova.data[mf.FINE_TUNING].formats == (mf.CONVERSATION,)
    claude = mf.family_rules(mf.CLAUDE)
    assert (claude.hyperparameter("batchSize").minimum, claude.hyperparameter("batchSize").maximum) == (4, 256)
    assert claude.hyperparameter("earlyStoppingEnabled").kind == "bool"
    assert mf.family_rules(mf.COHERE).legacy and not nova.legacy
    assert mf.CONTINUED_PRE_TRAINING in mf.family_rules(mf.TITAN).customization_types
    assert mf.CONTINUED_PRE_TRAINING not in nova.customization_types
    assert mf.family_rules(mf.COHERE).customization_types == (mf.FINE_TUNING,)


def test_model_overrides():
    light = mf.lookup("cohere.command-light-text-v14:7:4k")
    command = mf.lookup("cohere.command-text-v14:7:4k")
    batch = {m.identifier: {h.name: h for h in mf.hyperparameters_for(m)}["batchSize"] for m in (light, command)}
    assert (batch[light.identifier].minimum, batch[light.identifier].maximum) == (8, 32)
    assert (batch[command.identifier].minimum, batch[command.identifier].maximum) == (8, 8)
    vision = mf.lookup("meta.llama3-2-90b-instruct-v1:0:128k")
    assert mf.customization_types_for(vision) == (mf.FINE_TUNING,)
    assert mf.DISTILLATION in mf.customization_types_for(mf.lookup("meta.llama3-2-1b-instruct-v1:0:128k"))


def test_describe():
    nova = mf.family_rules(mf.NOVA)
    assert nova.hyperparameter("epochCount").describe() == "epochCount (a whole number from 1 to 5)"
    assert "1e-06 to 0.0001" in nova.hyperparameter("learningRate").describe()
    assert 'only "1"' in mf.family_rules(mf.LLAMA).hyperparameter("batchSize").describe()
    assert "above 0" in mf.family_rules(mf.TITAN).hyperparameter("learningRate").describe()


# --- near matches for an unknown identifier ---------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("amazon.nova-micro-v1:0", "amazon.nova-micro-v1:0:128k"),
        ("meta.llama3-2-3b-instruct-v1:0", "meta.llama3-2-3b-instruct-v1:0:128k"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0:200k"),
        ("amazon.nova-micro-v1:0:128k", None),  # already has its suffix
        ("amazon.nova-premier-v1:0", None),  # no known model with any suffix
        ("cohere.command-text-v14", None),  # its customization id is not this id plus a suffix
    ],
)
def test_with_context_suffix(given, expected):
    assert mf.with_context_suffix(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("cohere.command-text-v14", "cohere.command-text-v14:7:4k"),  # the on-demand id
        ("amazon.titan-text-express-v1", "amazon.titan-text-express-v1:0:8k"),
        ("amazon.nova-micro-v1:0:300k", "amazon.nova-micro-v1:0:128k"),  # another context suffix
        ("meta.llama3-4-70b-instruct-v1:0:128k", None),  # another version: no guess
        ("example.text-model-v1:0:32k", None),
    ],
)
def test_near_model(given, expected):
    assert mf.near_model(given) == expected


def test_article_follows_the_first_letter():
    assert [mf.article(f.display) for f in mf.FAMILY_RULES.values()] == ["an", "an", "a", "an", "a"]


def test_notes_are_one_clause_without_a_final_period():
    """Notes are the "what is wrong" of a warning line: a period would print as ".;"."""
    notes = [f.note for f in mf.FAMILY_RULES.values()] + [m.note for m in mf.BASE_MODELS.values()]
    assert all(not note.endswith(".") and ";" not in note for note in notes if note)


# --- catalog API: customization and on-demand regions ------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "region", "expected"),
    [
        ("amazon.nova-micro-v1:0:128k", "us-east-1", True),
        ("amazon.nova-lite-v1:0:300k", "us-east-1", True),
        ("amazon.nova-pro-v1:0:300k", "us-east-1", True),
        ("amazon.nova-2-lite-v1:0:256k", "us-east-1", True),
        ("meta.llama3-3-70b-instruct-v1:0:128k", "us-west-2", True),
        # customizable there, but no on-demand deployment of that base
        ("meta.llama3-1-8b-instruct-v1:0:128k", "us-west-2", False),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", "us-west-2", False),
        # on-demand base, wrong region (the model cannot be customized there)
        ("amazon.nova-micro-v1:0:128k", "us-west-2", False),
        ("meta.llama3-3-70b-instruct-v1:0:128k", "us-east-1", False),
        # no longer customizable at all
        ("cohere.command-light-text-v14:7:4k", "us-east-1", False),
        ("amazon.titan-text-express-v1:0:8k", "us-east-1", False),
    ],
)
def test_on_demand_supported(identifier, region, expected):
    assert mf.on_demand_supported(mf.BASE_MODELS[identifier], region) is expected


@pytest.mark.parametrize(
    ("identifier", "regions"),
    [
        ("amazon.nova-micro-v1:0:128k", {"us-east-1"}),
        ("amazon.nova-2-lite-v1:0:256k", {"us-east-1"}),
        ("meta.llama3-1-8b-instruct-v1:0:128k", {"us-west-2"}),
        ("meta.llama3-3-70b-instruct-v1:0:128k", {"us-west-2"}),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", {"us-west-2"}),
        ("cohere.command-light-text-v14:7:4k", set()),
        ("amazon.titan-text-lite-v1:0:4k", set()),
    ],
)
def test_customization_regions(identifier, regions):
    model = mf.BASE_MODELS[identifier]
    assert model.customization_regions == frozenset(regions)
    assert model.customizable is bool(regions)
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        assert mf.customizable_in(model, region) is (region in regions)


@pytest.mark.parametrize("identifier", sorted(mf.BASE_MODELS))
def test_on_demand_regions_are_customization_regions(identifier):
    """A custom model lives where its job ran: on-demand regions are a subset of customization regions."""
    model = mf.BASE_MODELS[identifier]
    assert isinstance(model.customization_regions, frozenset)
    assert isinstance(model.on_demand_regions, frozenset)
    assert model.on_demand_regions <= model.customization_regions
