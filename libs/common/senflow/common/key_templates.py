"""Record-key templates of Kafka destinations: the placeholders there are, and the check
that both the registry (on save) and the dispatcher (on delivery) apply."""

import string

KEY_TEMPLATE_FIELDS = ("device_id", "flow_id", "customer_id", "destination_id")


def key_template_error(template: str) -> str | None:
    """Why `template` cannot render a record key, or None when it can.

    Only plain `{name}` placeholders of `KEY_TEMPLATE_FIELDS` (and `{{`/`}}` for braces):
    no format specs, conversions, indexes or attributes, so a template cannot make a key
    of any size (`{device_id:>99999999}`) or reach into objects.
    """
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as err:
        return f"is not a valid template ({err})"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in KEY_TEMPLATE_FIELDS:
            known = ", ".join("{" + f + "}" for f in KEY_TEMPLATE_FIELDS)
            return f"has an unknown placeholder {{{name}}}; use {known}"
        if spec or conversion:
            return f"{{{name}}} takes no format spec or conversion"
    return None
