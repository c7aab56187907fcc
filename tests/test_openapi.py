"""The OpenAPI document is complete: every operation says what it does, describes each parameter and
shows an example of its request body and of every response it documents; every tag is described.
Examples are checked loosely against the schemas they illustrate and against the real error shapes."""

import json
from http import HTTPStatus

METHODS = ("get", "put", "post", "patch", "delete")
TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def resolve(spec, node):
    """Follow `$ref`s (`#/components/...`) until a plain object."""
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def examples_of(media):
    """Every example a media type shows: `example`, or the values of `examples`."""
    if "example" in media:
        return [media["example"]]
    return [example.get("value") for example in media.get("examples", {}).values()]


def mismatches(spec, schema, value, where="example"):
    """Where `value` strays from `schema`: a wrong type, an unknown or a missing required field.
    Loose on purpose: `oneOf`/`anyOf`/`allOf` pass if any branch fits, formats are not checked."""
    schema = resolve(spec, schema or {})
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            branches = [mismatches(spec, branch, value, where) for branch in schema[combinator]]
            return [] if any(not problems for problems in branches) else branches[0]
    if value is None:
        return [] if schema.get("nullable") or not schema.get("type") else [f"{where} is null"]
    expected = TYPES.get(schema.get("type"))
    if expected and (not isinstance(value, expected) or (expected is not bool and isinstance(value, bool))):
        return [f"{where} is not {schema['type']}"]
    problems = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", not properties)
        for name, item in value.items():
            if name in properties:
                problems += mismatches(spec, properties[name], item, f"{where}.{name}")
            elif isinstance(extra, dict):
                problems += mismatches(spec, extra, item, f"{where}.{name}")
            elif extra is False:
                problems.append(f"{where}.{name} is not in the schema")
        problems += [f"{where}.{name} is missing" for name in schema.get("required", []) if name not in value]
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += mismatches(spec, schema["items"], item, f"{where}[{index}]")
    return problems


def error_shape_problems(status, example):
    """An example of an error response (one with the Error schema) looks like what `titan.errors`
    answers: the envelope, or (400 on the routes of the single-page app) `{"field": ["message"]}`."""
    if not isinstance(example, dict):
        return ["error example is not an object"]
    if "code" not in example:
        fields_only = status == "400" and all(
            isinstance(messages, list) and all(isinstance(m, str) for m in messages) for messages in example.values()
        )
        return [] if fields_only and example else ["error example is neither the envelope nor field errors"]
    problems = []
    code = example["code"]
    if status != "default" and code != int(status):
        problems.append(f"error example has code {code}")
    if not isinstance(code, int) or example.get("status") != HTTPStatus(code).phrase:
        problems.append(f"error example's status is not the phrase of {code}")
    if not isinstance(example.get("message"), str) or not example["message"]:
        problems.append("error example has no message")
    if "detail" in example and example["detail"] != example["message"]:
        problems.append("error example's detail differs from its message")
    if code == 400 and not all(isinstance(fields, dict) for fields in example.get("errors", {}).values()):
        problems.append('error example\'s errors are not {"location": {"field": [...]}}')
    return problems


def operation_problems(spec, path_item, operation):
    problems = []
    if not operation.get("summary"):
        problems.append("no summary")
    if not operation.get("description"):
        problems.append("no description")
    for parameter in path_item.get("parameters", []) + operation.get("parameters", []):
        parameter = resolve(spec, parameter)
        if not parameter.get("description"):
            problems.append(f"{parameter['in']} parameter {parameter['name']!r} not described")
    body = resolve(spec, operation.get("requestBody"))
    for content_type, media in (body or {}).get("content", {}).items():
        examples = examples_of(media)
        if not examples:
            problems.append(f"request body ({content_type}) has no example")
        for example in examples:
            problems += mismatches(spec, media.get("schema"), example, "request example")
    for status, response in operation.get("responses", {}).items():
        response = resolve(spec, response)
        for content_type, media in response.get("content", {}).items():
            examples = examples_of(media)
            if not examples:
                problems.append(f"response {status} ({content_type}) has no example")
            for example in examples:
                where = f"response {status} example"
                problems += [f"{where}: {problem}" for problem in mismatches(spec, media.get("schema"), example)]
                if "#/components/schemas/Error" in json.dumps(media.get("schema")):
                    problems += [f"{where}: {problem}" for problem in error_shape_problems(status, example)]
    return problems


def test_every_operation_has_a_summary_a_description_and_examples(client):
    spec = client.get("/openapi.json").get_json()
    problems = {}
    for path, path_item in spec["paths"].items():
        for method in METHODS:
            if method in path_item:
                found = operation_problems(spec, path_item, path_item[method])
                if found:
                    problems[f"{method.upper()} {path}"] = found
    for tag in spec.get("tags", []):
        if not tag.get("description"):
            problems[f"tag {tag['name']}"] = ["no description"]
    operations = sum(method in item for item in spec["paths"].values() for method in METHODS)
    assert operations > 30, "the document lists fewer operations than the API has"
    assert problems == {}, "\n".join(f"{name}: {'; '.join(found)}" for name, found in problems.items())
