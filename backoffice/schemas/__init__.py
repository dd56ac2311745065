"""The officer API's request and response bodies, one module per resource
(`XCreate`, `XUpdate`, `XPublic` as the FastAPI template names them)."""
