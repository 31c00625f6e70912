"""Preprocessing alone: a 280×280 canvas PNG data URL → the 28×28 model input, as a request runs it."""

from benchmarks.canvases import data_url
from benchmarks.measure import latency_summary, time_each
from recognizer.decoding import decode
from recognizer.preprocessing import normalise_image


def decode_and_normalise(url):
    return normalise_image(decode(url).image)


def measure_preprocessing(pngs):
    urls = [data_url(png) for png in pngs]
    images = [decode(url).image for url in urls]
    return {
        "decode": latency_summary(time_each(decode, urls)),
        "normalise": latency_summary(time_each(normalise_image, images)),
        "decode_and_normalise": latency_summary(time_each(decode_and_normalise, urls)),
    }
