from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import redirect, render

from guozi.accounts.access import Scope, has_scope, scoped


@scoped(Scope.SELF)
def home(request):
    if has_scope(request.user, Scope.PORTFOLIO):
        return redirect("registry:directory")
    return render(request, "web/home.html")


@scoped(Scope.PUBLIC)
def healthz(request):
    return JsonResponse({"status": "ok"})


login = scoped(Scope.PUBLIC)(auth_views.LoginView.as_view(redirect_authenticated_user=True))
logout = scoped(Scope.PUBLIC)(auth_views.LogoutView.as_view())
password_change = scoped(Scope.SELF)(
    auth_views.PasswordChangeView.as_view(
        success_url="/", template_name="registration/password_change.html"
    )
)
