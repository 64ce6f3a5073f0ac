"""Operating the collector: Prometheus metrics (`metrics`, `otlp_outcomes`) and the probes (`probes`)."""
