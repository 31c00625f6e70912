"""Django's message middleware, with the message storage made only when something uses it."""

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    """The storage (a cookie signer and a session reader, made per request) is made when a view or a
    template first reads or adds a message; an API request never does. A storage never made has
    nothing to store in the response, as an unused one."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if type(messages) is SimpleLazyObject and messages._wrapped is empty:
            return response
        return super().process_response(request, response)
