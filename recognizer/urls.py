from django.urls import path

from recognizer import api, views

app_name = "recognizer"

urlpatterns = [
    path("", views.index, name="index"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("history/", views.history, name="history"),
    path("history/<int:prediction_id>/", views.prediction_detail, name="prediction"),
    path("stats/", views.stats, name="stats"),
    path("api/predict", api.PredictView.as_view(), name="api-predict"),
    path("api/read", api.ReadView.as_view(), name="api-read"),
    path("api/predictions", api.PredictionListView.as_view(), name="api-predictions"),
    path("api/predictions/<int:prediction_id>", api.PredictionDetailView.as_view(), name="api-prediction"),
    path("api/predictions/<int:prediction_id>/feedback", api.FeedbackView.as_view(), name="api-feedback"),
    path("api/model", api.ModelInfoView.as_view(), name="api-model"),
    path("api/health", api.HealthView.as_view(), name="api-health"),
    path("predictions/<int:prediction_id>/drawing.png", views.drawing_png, name="drawing-png"),
    path("predictions/<int:prediction_id>/thumbnail.png", views.thumbnail_png, name="thumbnail-png"),
    path("predictions/<int:prediction_id>/input.png", views.input_png, name="input-png"),
    path("metrics", views.metrics_page, name="metrics"),
]
