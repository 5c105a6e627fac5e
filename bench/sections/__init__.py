"""The benchmark sections, one module each. Each has measure(quick, res),
which adds its part to the results dict res, and KEY, its --only name."""
from sections import accuracy, attach, events, own_cost, returns, selftime, stages, syscalls

# In the order a full run takes them.
ALL = [syscalls, stages, attach, own_cost, accuracy, events, selftime, returns]
