"""REST API views (thin: check access, query, serialize). See the package docstring for the
conventions; :mod:`.base` has the pieces every view shares."""
