"""Raw data: fetch (download + checksum) and windows (time slices); validation is staleguard.contract."""
