from django.urls import path

from calls.views import apply, comments, manage, public, review, waiting

app_name = "calls"
urlpatterns: list = [
    path("", public.call_list, name="call-list"),
    path("<int:pk>/", public.call_detail, name="call-detail"),
    path("gestion/", manage.call_manage_list, name="call-manage-list"),
    path("gestion/nouveau/", manage.call_create, name="call-create"),
    path("<int:pk>/gestion/", manage.call_manage, name="call-manage"),
    path("<int:pk>/modifier/", manage.call_edit, name="call-edit"),
    path("<int:pk>/criteres/", manage.call_criteria, name="call-criteria"),
    path("<int:pk>/publier/", manage.call_publish, name="call-publish"),
    path("<int:pk>/cloturer/", manage.call_close, name="call-close"),
    path("<int:pk>/deliberation/", manage.call_decide, name="call-decide"),
    path("<int:pk>/evaluateurs/", manage.call_reviewers, name="call-reviewers"),
    path("<int:pk>/classement/", manage.call_ranking, name="call-ranking"),
    path("<int:pk>/candidater/", apply.application_start, name="application-start"),
    path("candidatures/", apply.application_list, name="application-list"),
    path("candidatures/<int:pk>/", apply.application_detail, name="application-detail"),
    path(
        "candidatures/<int:pk>/documents/<int:document_pk>/",
        apply.application_document,
        name="application-document",
    ),
    path(
        "candidatures/<int:pk>/messages/",
        comments.application_comment_create,
        name="application-comment-create",
    ),
    path("candidatures/<int:pk>/modifier/", apply.application_edit, name="application-edit"),
    path("candidatures/<int:pk>/envoyer/", apply.application_submit, name="application-submit"),
    path("candidatures/<int:pk>/retirer/", apply.application_withdraw, name="application-withdraw"),
    path("candidatures/<int:pk>/retenir/", manage.application_accept, name="application-accept"),
    path("candidatures/<int:pk>/refuser/", manage.application_refuse, name="application-refuse"),
    path(
        "candidatures/<int:pk>/convention/",
        manage.application_agreement,
        name="application-agreement",
    ),
    path("evaluation/", review.review_list, name="review-list"),
    path("<int:pk>/evaluation/", review.review_call, name="review-call"),
    path("<int:pk>/evaluation/declaration/", review.review_declare, name="review-declare"),
    path(
        "evaluation/candidatures/<int:pk>/",
        review.review_application,
        name="review-application",
    ),
    path("liste-attente/", waiting.waiting_list, name="waiting-list"),
    path("liste-attente/inscrire/", waiting.waiting_create, name="waiting-create"),
    path("liste-attente/<int:pk>/cloturer/", waiting.waiting_close, name="waiting-close"),
    path("liste-attente/candidats/", waiting.waiting_candidates, name="waiting-candidates"),
]
