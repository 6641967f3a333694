"""storewire's Socket.IO application: handshake auth, rooms by policy, handlers, delivery to sockets.

Only this package talks to the socket server; everything else uses ``Gateway`` and ``Transport``.
"""
