"""Every attribute a custom role's condition may test on a stored object has a column in the list
mapping of that object's kind, so a list filtered in SQL can never disagree with a single decision."""

from __future__ import annotations

import pytest

from caregate.engine import Feature
from caregate.engine.catalog import STORED_ATTRIBUTES
from caregate.engine.errors import RoleValidationError
from caregate.engine.roles import compile_index
from caregate.engine.validate import validate_role
from caregate.store.lookups import LISTS


@pytest.mark.parametrize("name", sorted(LISTS))
def test_each_list_mapping_has_the_attributes_conditions_may_test(name):
    feature = Feature(name) if name in set(Feature) else {"products": Feature.INVENTORY,
                                                          "orders": Feature.INVENTORY}[name]
    declared = STORED_ATTRIBUTES[feature]
    assert declared <= set(LISTS[name].mapping.attrs), (name, declared - set(LISTS[name].mapping.attrs))


def test_every_stored_feature_declares_its_attributes():
    listed = {Feature(n) for n in LISTS if n in set(Feature)} | {Feature.INVENTORY}
    assert listed <= set(STORED_ATTRIBUTES)


def test_a_condition_on_an_attribute_the_store_cannot_filter_is_refused():
    from caregate.engine import BUILTIN_ROLES, OrgPolicy, RoleAssignment

    owner = compile_index([RoleAssignment(BUILTIN_ROLES["owner"])], OrgPolicy("o"))
    with pytest.raises(RoleValidationError) as refused:
        validate_role({"name": "Odd", "permissions": {"patients": {"read": {"scope": "org", "conditions": [
            {"type": "attr", "attr": "eye_colour", "op": "eq", "value": "blue"}]}}}},
            key="r", existing={}, creator=owner)
    assert "patients have no attribute 'eye_colour'" in refused.value.problems[0]
    # objects caregate does not store (described by the caller of /check) may carry any attribute
    validate_role({"name": "Tasks", "permissions": {"tasks": {"read": {"scope": "org", "conditions": [
        {"type": "attr", "attr": "priority", "op": "eq", "value": "high"}]}}}}, key="t", existing={}, creator=owner)
