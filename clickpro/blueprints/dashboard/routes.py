from flask import Blueprint, render_template

from clickpro.guards import client_required
from clickpro.services.dashboard import figures_for
from clickpro.tenancy import require_client

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.route("/")
@client_required
def index():
    client = require_client()
    return render_template("dashboard/index.html", client=client, figures=figures_for(client))
