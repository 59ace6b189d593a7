"""Canonical JSON-lines rows, the format `lakehouse cat --format jsonl` prints.

Every peer converts what it read into this form so the Go side can compare
rows from three engines byte for byte (after its own light normalisation of
numbers). The rules mirror the CLI contract:

  integers      JSON integers
  float/double  shortest decimal that round-trips at the column's width, in
                Go's encoding/json notation (exponent only below 1e-6 or from
                1e21 on), "NaN", "Infinity", "-Infinity" as strings
  decimal       string with exactly `scale` fraction digits
  binary        standard base64
  date          "2006-01-02"
  timestamp     UTC "2006-01-02T15:04:05.000000Z"
  timestamp_ntz "2006-01-02T15:04:05.000000"
  struct        object; array: array; map: array of {"key": k, "value": v}
"""

import base64
import datetime as _dt
import decimal
import json
import math
import struct

import pyarrow as pa
import pyarrow.types as pt

def _float32_text(x):
    # The shortest decimal that reads back to the same float32.
    want = struct.pack("<f", x)
    for digits in range(1, 10):
        text = "%.*g" % (digits, x)
        try:
            if struct.pack("<f", float(text)) == want:
                return text
        except OverflowError:  # rounded past the largest float32
            continue
    return repr(x)


def _as_float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


# Where Go's encoding/json (and so lakehouse's jsonrows) switches from plain
# decimals to exponents, at each width.
_SMALL = {False: 1e-6, True: _as_float32(1e-6)}
_LARGE = {False: 1e21, True: _as_float32(1e21)}


def _go_notation(text, x, width32):
    """Rewrites a shortest round-trip decimal in the notation jsonrows uses.

    Plain digits ("1048699", "0.5", "-0") for magnitudes in [1e-6, 1e21), else
    one leading digit and an exponent ("1e+21", "1.5e-7"): Go's
    strconv.FormatFloat(x, 'f' or 'e', -1) with encoding/json's e-07 -> e-7.
    """
    d = decimal.Decimal(text).normalize()
    a = abs(x)
    if a == 0 or _SMALL[width32] <= a < _LARGE[width32]:
        return format(d, "f")
    sign, digits, exp = d.as_tuple()
    mant = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    e10 = exp + len(digits) - 1
    return ("-" if sign else "") + mant + ("e-%d" % -e10 if e10 < 0 else "e+%02d" % e10)


def _float_text(x, width32):
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    if width32:
        return _go_notation(_float32_text(x), x, True)
    return _go_notation(repr(float(x)), x, False)


def _micros(value):
    # pyarrow hands back datetime objects; keep exact microseconds.
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value


def encode(value, typ):
    """Returns the canonical JSON text of one value of Arrow type typ."""
    if value is None:
        return "null"
    if pt.is_boolean(typ):
        return "true" if value else "false"
    if pt.is_integer(typ):
        return str(int(value))
    if pt.is_float32(typ):
        return _float_text(value, True)
    if pt.is_floating(typ):
        return _float_text(value, False)
    if pt.is_decimal(typ):
        return json.dumps(format(value, ".%df" % typ.scale))
    if pt.is_string(typ) or pt.is_large_string(typ) or pt.is_string_view(typ):
        return json.dumps(value, ensure_ascii=False)
    if pt.is_binary(typ) or pt.is_large_binary(typ) or pt.is_fixed_size_binary(typ) or pt.is_binary_view(typ):
        return json.dumps(base64.b64encode(value).decode("ascii"))
    if pt.is_date(typ):
        return json.dumps(value.isoformat())
    if pt.is_timestamp(typ):
        if typ.tz is not None:
            return json.dumps(_micros(value).isoformat(timespec="microseconds") + "Z")
        return json.dumps(value.isoformat(timespec="microseconds"))
    if pt.is_struct(typ):
        parts = []
        for i in range(typ.num_fields):
            f = typ.field(i)
            parts.append(json.dumps(f.name) + ":" + encode(value.get(f.name), f.type))
        return "{" + ",".join(parts) + "}"
    if pt.is_map(typ):
        items = value.items() if isinstance(value, dict) else value
        parts = []
        for k, v in items:
            parts.append('{"key":' + encode(k, typ.key_type) + ',"value":' + encode(v, typ.item_type) + "}")
        return "[" + ",".join(parts) + "]"
    if pt.is_list(typ) or pt.is_large_list(typ) or pt.is_fixed_size_list(typ) or pt.is_list_view(typ):
        return "[" + ",".join(encode(v, typ.value_type) for v in value) + "]"
    if pt.is_dictionary(typ):
        return encode(value, typ.value_type)
    if pt.is_null(typ):
        return "null"
    raise TypeError("canon: unsupported arrow type %s" % typ)


def _column_text(values, typ):
    """encode() over a whole column, with the type dispatch done once.

    The common flat types take a shortcut (a million-row corpus table goes
    through here); everything else goes value by value through encode().
    """
    if pt.is_integer(typ):
        return ["null" if v is None else str(v) for v in values]
    if pt.is_decimal(typ):
        spec = ".%df" % typ.scale
        return ["null" if v is None else '"' + format(v, spec) + '"' for v in values]
    return [encode(v, typ) for v in values]


def rows(table, drop=()):
    """Returns the sorted canonical JSON lines of a pyarrow Table."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    fields = [f for f in table.schema if f.name not in drop]
    if not fields:
        return ["{}"] * table.num_rows
    cols = []
    for f in fields:
        key = json.dumps(f.name) + ":"
        values = table.column(f.name).to_pylist(maps_as_pydicts=None)
        cols.append([key + text for text in _column_text(values, f.type)])
    out = ["{" + ",".join(parts) + "}" for parts in zip(*cols)]
    out.sort()
    return out


def schema_json(schema):
    """A compact description of an Arrow schema, for reports."""
    return [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in schema]
