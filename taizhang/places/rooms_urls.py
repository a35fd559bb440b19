"""URL patterns of the rooms area (included by ``places/urls.py`` under the ``places`` namespace)."""

from django.urls import path

from taizhang.places import rooms_views as views

urlpatterns: list = [
    path("rooms/", views.room_list, name="room_list"),
    path("rooms/new/", views.room_create, name="room_create"),
    path("rooms/<int:pk>/edit/", views.room_edit, name="room_edit"),
    path("rooms/<int:pk>/week/", views.room_week, name="room_week"),
    path("rooms/<int:pk>/month/", views.room_month, name="room_month"),
    path("rooms/<int:pk>/book/", views.booking_create, name="booking_create"),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("bookings/<int:pk>/<str:decision>/", views.booking_decide, name="booking_decide"),
    path("books/", views.book_list, name="book_list"),
    path("books/<int:pk>/lend/", views.book_lend, name="book_lend"),
    path("loans/", views.loan_list, name="loan_list"),
    path("loans/<int:pk>/return/", views.loan_return, name="loan_return"),
    path("my-loans/", views.my_loans, name="my_loans"),
    path("archive/", views.archive_list, name="archive_list"),
    path("archive/member/<int:pk>/", views.member_archive, name="member_archive"),
    path("archive/documents/<int:pk>/", views.document_download, name="document_download"),
]
