"""opentelemetry-api: a tracer and spans with the default (no-op) provider and context."""
# dists: opentelemetry-api
from opentelemetry import context, trace

tracer = trace.get_tracer("corpus")
with tracer.start_as_current_span("outer") as span:
    span.set_attribute("k", 1)
    print(type(span).__name__, span.is_recording(), trace.get_current_span() is span)
token = context.attach(context.set_value("x", 5))
print(context.get_value("x"))
context.detach(token)
print(context.get_value("x"))
