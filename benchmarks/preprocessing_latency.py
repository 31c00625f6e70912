"""Preprocessing alone: a 280×280 canvas PNG data URL → the 28×28 model input, as a request runs it."""

from benchmarks.canvases import data_url
from benchmarks.measure import latency_summary, time_each
from recognizer import preprocessing


def decode(url):
    return preprocessing.open_image(preprocessing.decode_base64_image(url))


def measure_preprocessing(pngs):
    urls = [data_url(png) for png in pngs]
    images = [decode(url) for url in urls]
    return {
        "decode": latency_summary(time_each(decode, urls)),
        "normalise": latency_summary(time_each(preprocessing.normalise_image, images)),
        "decode_and_normalise": latency_summary(time_each(preprocessing.normalise_base64, urls)),
    }
