"""The data contract (params.yaml `contract:`, docs/contract.md) and every validator generated from it.

    frame = validate_frame(frame, params, role, source)   # role: raw | batch | current | predict
    ts = build_timestamp(raw_frame, params.contract, source)
    raw = read_raw(params.data.raw, params)               # prepare, simulate, the monitor's reference
    window = read_window(path, params)                    # staleguard drift --current
    check_batch(frame, params, source, named=(first, last))  # a production batch as a whole
    value_problem(column, spec, value)                    # one value (the API's field validators)

Core: imported by stages, monitor, serve and drift; imports only params and errors.
"""

from staleguard.contract.batch_checks import check_batch
from staleguard.contract.frame import (
                                      MODEL_VERSION,
                                      PREDICTION,
                                      ROW_ID,
                                      Role,
                                      id_column,
                                      layout,
                                      validate_frame,
)
from staleguard.contract.identity import dedupe, period_start
from staleguard.contract.read import (
                                      batch_files,
                                      check_size,
                                      read_file,
                                      read_parquet,
                                      read_raw,
                                      read_table,
                                      read_window,
)
from staleguard.contract.timestamp import TIMESTAMP, build_timestamp, calendar
from staleguard.contract.values import calendar_of, derived_problem, value_problem

__all__ = [
           "MODEL_VERSION",
           "PREDICTION",
           "ROW_ID",
           "TIMESTAMP",
           "Role",
           "batch_files",
           "build_timestamp",
           "calendar",
           "calendar_of",
           "check_batch",
           "check_size",
           "dedupe",
           "derived_problem",
           "id_column",
           "layout",
           "period_start",
           "read_file",
           "read_parquet",
           "read_raw",
           "read_table",
           "read_window",
           "validate_frame",
           "value_problem",
]
