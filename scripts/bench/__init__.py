"""``make bench``: the reporting benchmark (``python -m scripts.bench --help``).

``cli`` parses the flags and runs the measurements, ``loader`` prepares the benchmark database and bulk-loads it
(``COPY`` on PostgreSQL), ``dataset`` generates the data, ``measures`` times our figures and the bare SQL ones,
``table`` prints the result; ``constants`` holds the shape of the dataset.
"""
