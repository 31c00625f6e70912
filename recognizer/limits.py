"""Every limit on what clients send and what the site keeps, defined once.

Settings, decoding, the API and the commands read them from here. Django-free.
"""

MB = 1024 * 1024

# Requests
MAX_REQUEST_BYTES = 2 * MB  # a whole request body (DATA_UPLOAD_MAX_MEMORY_SIZE); a canvas PNG is ~10–100 KB
PREDICT_RATE = "120/min"  # POST /api/predict per client, unless DJANGO_PREDICT_THROTTLE_RATE says otherwise

# Images, checked on the header before any pixel is decoded
MAX_IMAGE_BYTES = 2 * MB
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = MAX_IMAGE_SIDE * MAX_IMAGE_SIDE
MIN_IMAGE_SIDE = 8  # smaller than this is no canvas: a dot or two would be read as a digit

# Reading back
API_PAGE_SIZE = 20  # GET /api/predictions, unless ?page_size=
API_MAX_PAGE_SIZE = 100
HISTORY_PAGE_SIZE = 24  # drawings per page of /history/
STATS_DAYS = 90  # the per-day chart shows the last this many days with predictions

# Storage
PRUNE_BATCH_SIZE = 1000  # rows deleted per transaction by prune_predictions
