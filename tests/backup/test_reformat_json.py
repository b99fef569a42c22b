"""`reformat: json`: a configuration a device prints as one JSON line is stored one
setting per line, so volatile and secret rules (and `git diff`) work line by line."""
from __future__ import annotations

import json

from netdoc.backup.clean import apply_recipe, reindent_json
from netdoc.platforms import BackupRecipe, profile_named


def test_one_line_json_becomes_one_member_per_line_in_device_order() -> None:
    raw = 'Exported 2026-11-27 10:00\n{"b":1,"a":{"z":[1,2],"y":{"k":"v"}},"c":[{"n":1}]}\n'
    assert reindent_json(raw) == (
        '{\n'
        '  "b": 1,\n'
        '  "a": {\n'
        '    "z": [1, 2],\n'
        '    "y": {"k": "v"}\n'
        '  },\n'
        '  "c": [\n'
        '    {"n": 1}\n'
        '  ]\n'
        '}\n')


def test_the_reindented_document_is_the_same_json() -> None:
    document = {"x": {"password": {"plaintext": None, "cyphered": "abc"}}, "e": [], "f": {}}
    assert json.loads(reindent_json(json.dumps(document))) == document


def test_cut_off_json_is_left_as_printed_for_the_completeness_check() -> None:
    cut = '{"features":{"snmp":{"data":'
    assert reindent_json(cut) == cut
    assert reindent_json("no json here") == "no json here"


def test_recipe_rules_apply_to_the_reindented_lines() -> None:
    recipe = BackupRecipe(reformat="json")
    text = apply_recipe('{"a":{"b":"c"},"d":1}', recipe)
    assert text.splitlines() == ["{", '  "a": {"b": "c"},', '  "d": 1', "}"]


def test_eaton_drops_per_export_ciphertexts_and_login_times() -> None:
    profile = profile_named("eaton_ups")
    assert profile is not None and profile.backup is not None
    raw = json.dumps({"smtp": {"user": "u", "password": {"plaintext": None, "cyphered": "X1"}},
                      "admin": {"attemptLogin": {"lastAttemptISO": "2026-11-27T07:41:09Z"},
                                "name": "admin"}}, separators=(",", ":"))
    stored = apply_recipe(raw, profile.backup)
    assert "cyphered" not in stored and "lastAttemptISO" not in stored
    assert '"user": "u"' in stored and '"name": "admin"' in stored
