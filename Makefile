.PHONY: interop

# The interop suite against delta-rs and Spark; regenerates INTEROP.md.
interop:
	bash scripts/interop.sh
