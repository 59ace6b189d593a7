"""Deterministic pyarrow test data shared by the peers' scenarios."""

import datetime as _dt
from decimal import Decimal

import pyarrow as pa

UTC = _dt.timezone.utc

INNER = pa.struct([("x", pa.float64()), ("y", pa.list_(pa.string()))])
ALL_TYPES = pa.schema([
    ("id", pa.int64()),
    ("b", pa.bool_()),
    ("i8", pa.int8()),
    ("i16", pa.int16()),
    ("i32", pa.int32()),
    ("i64", pa.int64()),
    ("f32", pa.float32()),
    ("f64", pa.float64()),
    ("dec", pa.decimal128(10, 4)),
    ("dec38", pa.decimal128(38, 6)),
    ("s", pa.string()),
    ("bin", pa.binary()),
    ("d", pa.date32()),
    ("ts", pa.timestamp("us", tz="UTC")),
    ("tsn", pa.timestamp("us")),
    ("st", pa.struct([("a", pa.int32()), ("b", pa.string()), ("inner", INNER)])),
    ("arr", pa.list_(pa.int32())),
    ("arr_st", pa.list_(pa.struct([("k", pa.string()), ("v", pa.int64())]))),
    ("m", pa.map_(pa.string(), pa.int32())),
    ("m_nested", pa.map_(pa.string(), pa.list_(pa.struct([("z", pa.int32())])))),
])

_F32 = [0.1, -0.0, float("nan"), float("inf"), float("-inf"), 3.4028234663852886e38, 1.401298464324817e-45, 1.5]
_F64 = [0.1, -0.0, float("nan"), float("inf"), float("-inf"), 1.7976931348623157e308, 5e-324, 1e21, 123456.789]
_STR = ["plain", "", "ünï€ødé ✓", "quote\" back\\slash", "tab\tnew\nline", "a,b;c", "emoji 🙂", "<&>"]
_DATES = [_dt.date(1970, 1, 1), _dt.date(2024, 2, 29), _dt.date(1, 1, 1), _dt.date(9999, 12, 31), _dt.date(1969, 12, 31)]
_TS = [
    _dt.datetime(1970, 1, 1, tzinfo=UTC),
    _dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    _dt.datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    _dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
    _dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
]


def all_types(start, n, nulls=True):
    """n rows of every Delta type; row i has nulls in every nullable column when i % 5 == 4."""
    rows = []
    for i in range(start, start + n):
        if nulls and i % 5 == 4:
            rows.append({"id": i})
            continue
        ts = _TS[i % len(_TS)]
        rows.append({
            "id": i,
            "b": i % 2 == 0,
            "i8": [-128, 127, 0, -1][i % 4],
            "i16": [-32768, 32767, 7][i % 3],
            "i32": [-2147483648, 2147483647, 42][i % 3],
            "i64": [-9223372036854775808, 9223372036854775807, 9007199254740993][i % 3],
            "f32": _F32[i % len(_F32)],
            "f64": _F64[i % len(_F64)],
            "dec": [Decimal("123456.7890"), Decimal("-0.0001"), Decimal("0.0000"), Decimal("999999.9999")][i % 4],
            "dec38": [Decimal("12345678901234567890123456789012.123456"), Decimal("-1.500000"), Decimal("0.000001")][i % 3],
            "s": _STR[i % len(_STR)] + str(i),
            "bin": [b"", b"\x00\xff\x10", ("bytes-%d" % i).encode()][i % 3],
            "d": _DATES[i % len(_DATES)],
            "ts": ts,
            "tsn": ts.replace(tzinfo=None) + _dt.timedelta(hours=i),
            "st": {"a": i, "b": None if i % 3 == 0 else "s%d" % i,
                   "inner": {"x": i / 4, "y": ["p", None, "q%d" % i]} if i % 2 == 0 else None},
            "arr": [] if i % 4 == 0 else [i, None, -i],
            "arr_st": [{"k": "k%d" % i, "v": i * 1000}, {"k": None, "v": None}],
            "m": [("a", i), ("b", None)] if i % 2 == 0 else [],
            "m_nested": [("n%d" % i, [{"z": i}, None])],
        })
    return pa.Table.from_pylist(rows, schema=ALL_TYPES)


PART_STRINGS = [None, "plain", "a b", "a/b", "a=b", "100%", "ünï", "x:y", "#?&", "[br]", "2024-01-01 00:00:00"]


def partitioned(start, n):
    """Rows partitioned by string, int, date and bool columns, including nulls and special characters."""
    rows = []
    for i in range(start, start + n):
        rows.append({
            "id": i,
            "v": "v%d" % i,
            "p_str": PART_STRINGS[i % len(PART_STRINGS)],
            "p_int": None if i % 7 == 3 else i % 3,
            "p_date": None if i % 6 == 5 else _dt.date(2024, 1, 1 + i % 3),
            "p_bool": None if i % 4 == 1 else i % 2 == 0,
        })
    return pa.Table.from_pylist(rows, schema=PARTITIONED)


PARTITIONED = pa.schema([
    ("id", pa.int64()), ("v", pa.string()), ("p_str", pa.string()), ("p_int", pa.int32()),
    ("p_date", pa.date32()), ("p_bool", pa.bool_()),
])

SIMPLE = pa.schema([("id", pa.int64()), ("x", pa.int32()), ("y", pa.int32()), ("name", pa.string()), ("amount", pa.float64())])


def simple(start, n, tag="r"):
    """Plain rows for DML scenarios; x and y spread values for z-ordering and data skipping."""
    return pa.Table.from_pylist([
        {"id": i, "x": (i * 37) % 101, "y": (i * 11) % 53, "name": "%s%d" % (tag, i), "amount": i * 1.25}
        for i in range(start, start + n)
    ], schema=SIMPLE)
