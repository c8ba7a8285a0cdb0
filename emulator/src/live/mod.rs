//! Live mode: the IC's HTTP interface (`/api/v2/status`, call, query, read_state) served on 127.0.0.1 over the
//! emulated subnet, with a background driver that runs rounds while live. Enabled by the `live` feature.
