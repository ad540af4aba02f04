#!/usr/bin/env python3
"""Checks for the report writers, called by tests/test_reports*.cpp.

  check_reports.py schema FILE...   validate each file against its JSON Schema
                                    (reports/schema/, chosen by "format"); with
                                    --expect-invalid, each file must fail
  check_reports.py junit FILE       parse JUnit XML with xml.etree, check that
                                    the tests/failures/skipped counts are the
                                    test cases'; print what it holds as JSON
  check_reports.py sarif FILE       check the SARIF shape code scanning reads
                                    (tests/reports/sarif-github.schema.json)

Exit status: 0 all good, 1 a check failed (printed), 2 bad usage or a
missing module.
"""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET

try:
    import jsonschema
except ImportError:  # scripts/install-deps installs python3-jsonschema
    print("check_reports.py: python3-jsonschema is missing (scripts/install-deps)", file=sys.stderr)
    sys.exit(2)

HERE = pathlib.Path(__file__).resolve().parent
SCHEMA_DIR = HERE.parent.parent / "reports" / "schema"
SCHEMAS = {"sva-report/1": "sva-report-1.schema.json", "sva-trace/1": "sva-trace-1.schema.json",
           "sva-snapshot/1": "sva-snapshot-1.schema.json"}


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def validator_for(doc):
    fmt = doc.get("format") if isinstance(doc, dict) else None
    if fmt not in SCHEMAS:
        raise ValueError(f"unknown format {fmt!r}")
    store = {}
    for name in SCHEMAS.values():
        s = load(SCHEMA_DIR / name)
        jsonschema.Draft202012Validator.check_schema(s)
        store[s["$id"]] = s
    schema = load(SCHEMA_DIR / SCHEMAS[fmt])
    try:  # jsonschema >= 4.18: a registry, which resolves "#/$defs/..." inside
        # the trace schema that the report schema refers to
        from referencing import Registry, Resource
    except ImportError:  # Debian 12's jsonschema 4.10
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)
    registry = Registry().with_resources(
        (uri, Resource.from_contents(s)) for uri, s in store.items())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def cmd_schema(paths, expect_invalid):
    bad = 0
    for p in paths:
        try:
            doc = load(p)
            errors = sorted(validator_for(doc).iter_errors(doc), key=lambda e: list(e.absolute_path))
        except (ValueError, OSError) as e:
            errors = [e]
        if expect_invalid:
            if not errors:
                print(f"{p}: valid, but should not be")
                bad += 1
            else:
                e = errors[0]
                where = "/" + "/".join(str(x) for x in getattr(e, "absolute_path", []))
                print(f"{p}: invalid as expected: {where}: {getattr(e, 'message', e)}")
        else:
            for e in errors[:5]:
                where = "/" + "/".join(str(x) for x in getattr(e, "absolute_path", []))
                print(f"{p}: {where}: {getattr(e, 'message', e)}")
            bad += bool(errors)
            if not errors:
                print(f"{p}: valid")
    return 1 if bad else 0


def cmd_junit(path):
    root = ET.parse(path).getroot()  # raises on malformed XML
    if root.tag != "testsuites":
        print(f"{path}: root element is <{root.tag}>, expected <testsuites>")
        return 1
    out = {"attrib": dict(root.attrib), "suites": []}
    for suite in root.findall("testsuite"):
        s = {"attrib": dict(suite.attrib), "properties": {}, "cases": []}
        for prop in suite.findall("properties/property"):
            s["properties"][prop.get("name")] = prop.get("value")
        for case in suite.findall("testcase"):
            c = {"name": case.get("name"), "classname": case.get("classname"),
                 "time": case.get("time"), "status": "pass"}
            for tag in ("failure", "error", "skipped"):
                el = case.find(tag)
                if el is not None:
                    c["status"] = tag
                    c["message"] = el.get("message")
                    c["type"] = el.get("type")
                    c["text"] = el.text or ""
            so = case.find("system-out")
            c["system_out"] = so.text if so is not None else None
            s["cases"].append(c)
        out["suites"].append(s)
    # The counts CI shows are the cases' own: tests, failures and skipped of
    # each suite and of the whole file agree with the test cases.
    bad = []
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for s in out["suites"]:
        n = {"tests": len(s["cases"]),
             "failures": sum(c["status"] == "failure" for c in s["cases"]),
             "skipped": sum(c["status"] == "skipped" for c in s["cases"])}
        for k, v in n.items():
            totals[k] += v
            if s["attrib"].get(k) != str(v):
                bad.append(f"suite {s['attrib'].get('name')}: {k}={s['attrib'].get(k)!r}, {v} cases")
    for k, v in totals.items():
        if root.get(k) != str(v):
            bad.append(f"testsuites: {k}={root.get(k)!r}, {v} cases")
    if bad:
        for b in bad:
            print(f"{path}: {b}")
        return 1
    print(json.dumps(out))
    return 0


def cmd_sarif(path):
    doc = load(path)
    schema = load(HERE / "sarif-github.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    for e in errors[:10]:
        print(f"{path}: /{'/'.join(str(x) for x in e.absolute_path)}: {e.message}")
    # Every result's rule is declared, and fingerprints are unique.
    for run in doc.get("runs", []):
        rules = [r["id"] for r in run["tool"]["driver"].get("rules", [])]
        seen = set()
        for i, res in enumerate(run.get("results", [])):
            if res["ruleId"] not in rules:
                print(f"{path}: result {i}: ruleId {res['ruleId']!r} is not a declared rule")
                errors.append(i)
            if "ruleIndex" in res and rules[res["ruleIndex"]] != res["ruleId"]:
                print(f"{path}: result {i}: ruleIndex does not point at {res['ruleId']!r}")
                errors.append(i)
            fp = json.dumps(res["partialFingerprints"], sort_keys=True)
            if fp in seen:
                print(f"{path}: result {i}: duplicate partialFingerprints")
                errors.append(i)
            seen.add(fp)
    if not errors:
        print(f"{path}: SARIF shape ok")
    return 1 if errors else 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "schema":
        expect_invalid = "--expect-invalid" in args
        return cmd_schema([a for a in args if a != "--expect-invalid"], expect_invalid)
    if cmd == "junit":
        return cmd_junit(args[0])
    if cmd == "sarif":
        return cmd_sarif(args[0])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
