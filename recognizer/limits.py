"""Every limit on what clients send and what the site keeps, defined once.

Settings, decoding, the API and the commands read them from here. Django-free.
"""

MB = 1024 * 1024

# Requests
MAX_REQUEST_BYTES = 2 * MB  # a whole request body (DATA_UPLOAD_MAX_MEMORY_SIZE); a canvas PNG is ~10–100 KB
PREDICT_RATE = "120/min"  # POST /api/predict per client, unless DJANGO_PREDICT_THROTTLE_RATE says otherwise
# POST /api/read per client, unless DJANGO_READ_THROTTLE_RATE says otherwise: the page reads the drawing
# after each stroke, so a person drawing quickly, or a few behind one address, need several a second.
READ_RATE = "600/min"
REQUEST_HEADER_SECONDS = 10  # a request's headers must arrive within this (DJANGO_REQUEST_HEADER_SECONDS)...
REQUEST_BODY_SECONDS = 20  # ...and its body within this (DJANGO_REQUEST_BODY_SECONDS), else 408

# Admin login (django-axes): failures per user name, and per client address, before a lockout
LOGIN_FAILURE_LIMIT = 5  # DJANGO_LOGIN_FAILURE_LIMIT
LOGIN_COOLOFF_MINUTES = 15  # DJANGO_LOGIN_COOLOFF_MINUTES: how long a lockout lasts

# Images, checked on the header before any pixel is decoded
MAX_IMAGE_BYTES = 2 * MB
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = MAX_IMAGE_SIDE * MAX_IMAGE_SIDE
MIN_IMAGE_SIDE = 8  # smaller than this is no canvas: a dot or two would be read as a digit
# WebP is decoded through full-size canvases (libwebp's, as Pillow runs it): ~16 bytes a pixel, so a
# 4096×4096 WebP would take a worker past 250 MB. PNG and JPEG keep MAX_IMAGE_SIDE.
MAX_WEBP_SIDE = 2048
MAX_WEBP_PIXELS = MAX_WEBP_SIDE * MAX_WEBP_SIDE

# Reading back
API_PAGE_SIZE = 20  # GET /api/predictions, unless ?page_size=
API_MAX_PAGE_SIZE = 100
HISTORY_PAGE_SIZE = 24  # drawings per page of /history/
STATS_DAYS = 90  # the per-day chart shows the last this many days with predictions

# Reading
MAX_DIGITS = 15  # digits in one drawing (a phone number with its country code); a number's feedback too
NOT_A_DIGIT_THRESHOLD = 0.5  # a mark whose "not a digit" probability reaches this is not read as a digit

# Storage: what one accepted drawing may add to the database, whatever was sent
MAX_STORED_BYTES = 1 * MB  # the whole row: drawing, thumbnail, model input, probabilities
STORED_DRAWING_MAX_SIDE = 1024  # a larger drawing is kept downscaled (it is read at full size)
THUMBNAIL_SIDE = 140  # the small copy lists show (history tiles, the admin list): half a 280 px canvas
THUMBNAIL_MAX_BYTES = 16 * 1024  # 24 history tiles of noise stay under 400 KB
ROW_BYTES_BESIDE_IMAGES = 8 * 1024  # model input (784), probabilities, hashes and dates: ~2 KB used
MAX_STORED_MARKS = 2 * MAX_DIGITS  # marks kept per drawing (digits and not digits; more are refused)
MARK_ROW_BYTES = 2 * 1024  # one mark: its model input (784), box and probabilities: ~1.2 KB used
STORED_DRAWING_MAX_BYTES = (
    MAX_STORED_BYTES - THUMBNAIL_MAX_BYTES - ROW_BYTES_BESIDE_IMAGES - MAX_STORED_MARKS * MARK_ROW_BYTES
)
DATABASE_MIN_FREE_MB = 64  # below this free on the database's disk (SQLite), health says 503
PRUNE_BATCH_SIZE = 1000  # rows deleted per transaction by prune_predictions
