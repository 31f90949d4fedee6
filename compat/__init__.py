"""Drop-in adapters for the vendors we replace (Topmail, Brandwave, Everflow).

Each vendor is one package under ``compat/``. An adapter translates names, shapes, defaults and limits to and from
the conversion services; it holds no business rule of its own (validation, dedup, attribution, history and report
invalidation all happen in ``conversions.services``, exactly as for ``/api/v1/``).
"""
