"""Between receivers and the store: the write-ahead spool and the batching writer."""
