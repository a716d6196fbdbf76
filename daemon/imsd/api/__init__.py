"""The IMS API: wire conventions and pydantic models of the five submit APIs."""
