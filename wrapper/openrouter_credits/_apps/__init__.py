"""What the command line and the exporter share, and a library user never needs: the ``--config``
file (``config_file``), the Prometheus text exposition (``metrics``) and the spike rule (``spike``).
The library's top level never imports this package."""
