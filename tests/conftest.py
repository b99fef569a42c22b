"""Fixtures shared by the whole suite. Others may append fixtures below."""
from __future__ import annotations

import contextlib
import inspect
import logging
import sys
import types
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/support importable as support.*

from support.lab_fixtures import (TEST_LAB_ROOT, lab_location,  # noqa: E402
                                  lab_unavailable_reason, sweep_stale_test_labs)


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """`netdoc` commands run in-process install a stderr handler (basicConfig force=True);
    left behind, it writes into a later test's closed capture file. Every test ends with
    the root logger's handlers and levels as it found them."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def lab() -> Iterator["Lab"]:  # noqa: F821 - imported lazily: collecting needs no root
    """The default site lab, up for the whole session and taken down at its end.

    Namespaces are named ndt<pid>-<node>, so several pytest runs (and the demo
    lab, prefix ndlab-) can coexist. Read `lab.ground_truth` for what is there.
    """
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    from netdoc.lab import Lab

    sweep_stale_test_labs()
    state_dir, prefix = lab_location()
    site = Lab.up("default", state_dir, prefix)
    try:
        yield site
    finally:
        site.down()
        with contextlib.suppress(OSError):  # only when no other run's lab is in it
            TEST_LAB_ROOT.rmdir()


# ---------------------------------------------------------------- test tiers
# Every test gets exactly one tier marker, so `scripts/test.sh --fast` (-m unit) can run
# the quick ones alone and a new test is placed without anyone remembering to mark it:
#   lab          uses the `lab` fixture (network namespaces, root)
#   integration  starts or talks to a real daemon: snmpd/snmpsim, the SSH/telnet replay
#                servers, sftp-server, SMTP/webhook sinks, headless Chromium (found in the
#                code of the test and its fixtures, following the suite's own helpers), or
#                starts a process (Popen), or sits in a folder of such tests, or is in
#                SLOW_FILES (measured: daemons started in ways the code scan cannot see)
#   unit         everything else: no daemons, seconds
# An explicit @pytest.mark.unit / integration / lab on a test wins.
TIERS = ("unit", "integration", "lab")
DAEMON_SUPPORT = ("support.snmp_agents", "support.hostile_snmp_agent", "support.replay_server",
                  "support.telnet_replay", "support.sftp_server", "support.stdio_device",
                  "support.alert_sinks", "support.browser")
INTEGRATION_FOLDERS = ("e2e", "lab")
# Tests without a daemon that still take seconds each (measured with --durations):
# real git histories, subprocess runs of the CLI, key derivation. Kept out of the unit tier
# so it stays under 30 s on a 2-core machine.
SLOW_FILES: tuple[str, ...] = ("cli/test_archive.py", "cli/test_cli_json.py",
              "cli/test_forget.py", "cli/test_guard_rails.py", "cli/test_overview_this_run.py",
              "cli/test_system_install.py", "cli/test_wheel_install.py",
              "discovery/test_arp_sweep.py", "facts/test_changes_positional_ids.py",
              "facts/test_facts_parsers.py", "hub/test_central_push.py",
              "hub/test_gitolite.py", "hub/test_hub_site.py", "identify/test_corpus_sample.py",
              "identify/test_profile_schema.py", "identify/test_profiles.py",
              "identify/test_shared_walks.py", "inventory/test_disk_faults.py",
              "inventory/test_gitstore.py", "inventory/test_history.py",
              "listen/test_reread.py", "metrics/test_metrics.py",
              "render/test_manual_docs_on_site.py", "render/test_maps.py",
              "render/test_render_stage.py", "runner/test_alerts.py",
              "runner/test_file_lock.py", "runner/test_runner.py", "snmp/test_typed_errors.py",
              "test_layout.py", "topology/test_topology_stage.py", "vault/test_vault_cli.py",
              "vault/test_vault_store.py", "facts/test_facts_changes.py",
              "cli/test_feedback.py", "discovery/test_cli_startup.py",
              "vault/test_vault_check.py", "topology/test_graphml_writer.py",
              "inventory/test_inventory.py", "backup/test_shared_sessions.py",
              "hostile/test_git_truth.py", "hostile/test_alerts_hostile.py",
              "hostile/test_inventory_hostile.py", "discovery/test_snmp_first_contact.py",
              "hostile/test_config_edges.py", "render/test_port_labels_in_chromium.py",
              "identify/test_identify_cli.py", "backup/test_store.py")
_TESTS = Path(__file__).resolve().parent


def _module_of(value: object) -> str:
    if isinstance(value, types.ModuleType):
        return value.__name__
    return str(getattr(value, "__module__", "") or "")


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    """A function's code and the code nested in it (inner functions, lambdas)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _suite_helper(value: object) -> bool:
    module = sys.modules.get(_module_of(value))
    return str(getattr(module, "__file__", "") or "").startswith(str(_TESTS))


def _uses_daemons(obj: object, seen: dict[int, bool]) -> bool:
    """Does this test, fixture or helper use a daemon helper of tests/support: name one
    in its code, or use a function or class of the suite's helpers that does?"""
    if id(obj) in seen:
        return seen[id(obj)]
    seen[id(obj)] = False
    if isinstance(obj, type):
        members = [getattr(m, "__func__", getattr(m, "fget", m)) for m in vars(obj).values()]
        found = any(_uses_daemons(m, seen) for m in members if callable(m))
    else:
        function = inspect.unwrap(obj)  # type: ignore[arg-type]
        function = getattr(function, "_get_wrapped_function", lambda: function)()
        code = getattr(function, "__code__", None)
        names = getattr(function, "__globals__", {})
        found = False
        for inner in _codes(code) if code is not None else ():
            if "Popen" in inner.co_names:  # a process left running beside the test
                found = True
                break
            for name in inner.co_names:
                value = names.get(name)
                if value is None:
                    continue
                if _module_of(value).startswith(DAEMON_SUPPORT) or (
                        _suite_helper(value) and not isinstance(value, types.ModuleType)
                        and _uses_daemons(value, seen)):
                    found = True
                    break
            if found:
                break
    seen[id(obj)] = found
    return found


def _tier(item: pytest.Item) -> str:
    explicit = [tier for tier in TIERS if item.get_closest_marker(tier) is not None]
    if explicit:
        return explicit[-1] if "lab" not in explicit else "lab"
    fixtures = getattr(item, "fixturenames", ())
    if "lab" in fixtures:
        return "lab"
    path = Path(str(item.path)).resolve()
    relative = path.relative_to(_TESTS) if path.is_relative_to(_TESTS) else path
    if relative.parts[:1] and relative.parts[0] in INTEGRATION_FOLDERS or \
            str(relative) in SLOW_FILES:
        return "integration"
    seen: dict[int, bool] = {}
    test = getattr(item, "obj", None)
    if test is not None and _uses_daemons(test, seen):
        return "integration"
    info = getattr(item, "_fixtureinfo", None)
    for name in fixtures:
        for definition in (info.name2fixturedefs.get(name, ()) if info else ()):
            function = getattr(definition, "func", None)
            if function is not None and _uses_daemons(function, seen):
                return "integration"
    return "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = _tier(item)
        if item.get_closest_marker(tier) is None:
            item.add_marker(getattr(pytest.mark, tier))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With `-m unit` (scripts/test.sh --fast), files that hold no unit test are not even
    imported: the folders and SLOW_FILES above (an explicit @pytest.mark.unit in one of
    them does not count)."""
    if config.getoption("markexpr", "") != "unit":
        return None
    path = collection_path.resolve()
    if not path.is_relative_to(_TESTS) or path == _TESTS:
        return None
    relative = path.relative_to(_TESTS)
    if relative.parts[0] in INTEGRATION_FOLDERS or str(relative) in SLOW_FILES:
        return True
    return None
