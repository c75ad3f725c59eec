"""Raw data: fetch (download + checksum), schema (validate frames), windows (time slices)."""
