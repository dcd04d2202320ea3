"""HTTP as the suite speaks it: one guarded session, exchanges, RFC 9110 semantics, redaction."""
