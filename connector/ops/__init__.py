"""Operating the fleet: what state every customer is in, as data the CLI and the API render.

`status` holds the pure rules (state, trouble order, shares); `fleet` reads the store.
"""
