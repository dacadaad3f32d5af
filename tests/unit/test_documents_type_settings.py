"""The rules of a supervisor's change of an application type (domain.revise_type):
every application of the type must still be able to walk it."""
import dataclasses

import pytest

from services.documents import catalog
from services.documents.domain import StepDef, revise_type
from shared.contracts.errors import InvalidInput

SERVICES = {"SIM", "SKCK", "LOST_ITEM", "CROWD_PERMIT"}
SIM_A = catalog.TYPES_BY_CODE["SIM_A_NEW"]


def refused_fields(kind, steps, documents=None):
    with pytest.raises(InvalidInput) as refusal:
        revise_type(kind, kind.fee, tuple(steps), tuple(documents or kind.required_documents), SERVICES)
    return refusal.value.fields


def test_a_reordered_type_with_new_fee_and_retake_days_is_the_same_type_otherwise():
    steps = list(SIM_A.steps)
    steps[2], steps[3] = steps[3], steps[2]            # theory test before the psychology test
    steps[2] = dataclasses.replace(steps[2], retake_days=21)
    revised = revise_type(SIM_A, 125_000, tuple(steps), SIM_A.required_documents, SERVICES)
    assert revised.fee == 125_000 and [s.code for s in revised.steps][2:4] == ["theory_test", "psychology_test"]
    assert revised.step("theory_test").retake_days == 21
    assert (revised.code, revised.validity_months, revised.document_prefix) == ("SIM_A_NEW", 60, "SIM-A")
    assert SIM_A.fee == 120_000 and SIM_A.step("theory_test").retake_days == 14   # the default is untouched


def test_each_step_must_be_served_by_one_of_the_site_s_services():
    steps = list(SIM_A.steps)
    steps[1] = dataclasses.replace(steps[1], service="PASSPORT")
    assert set(refused_fields(SIM_A, steps)) == {"steps.1.service"}


def test_step_and_document_codes_are_unique():
    steps = list(SIM_A.steps) + [SIM_A.steps[1]]
    assert "steps.%d.code" % (len(steps) - 1) in refused_fields(SIM_A, steps)
    documents = list(SIM_A.required_documents) + [SIM_A.required_documents[0]]
    assert set(refused_fields(SIM_A, SIM_A.steps, documents)) == {"required_documents.2.code"}


def test_collection_comes_last_and_after_the_one_step_that_issues_the_document():
    steps = list(SIM_A.steps)
    moved = [steps[-1]] + steps[:-1]
    assert "steps.0.collection" in refused_fields(SIM_A, moved)
    no_issue = [dataclasses.replace(s, issues_document=False) for s in steps]
    assert set(refused_fields(SIM_A, no_issue)) == {"steps"}
    two = steps[:-1] + [StepDef("second_print", "Cetak ulang", "Reprint", "SIM", issues_document=True), steps[-1]]
    assert set(refused_fields(SIM_A, two)) == {"steps"}


def test_an_unknown_skip_condition_is_refused():
    steps = list(SIM_A.steps)
    steps[1] = dataclasses.replace(steps[1], skip_if="has_a_friend")
    assert set(refused_fields(SIM_A, steps)) == {"steps.1.skip_if"}


def test_the_refusal_is_in_both_languages():
    steps = list(SIM_A.steps)
    steps[1] = dataclasses.replace(steps[1], service="PASSPORT")
    with pytest.raises(InvalidInput) as refusal:
        revise_type(SIM_A, SIM_A.fee, tuple(steps), SIM_A.required_documents, SERVICES)
    assert refusal.value.message("id") != refusal.value.message("en")
    assert "PASSPORT" in refusal.value.message("en")
