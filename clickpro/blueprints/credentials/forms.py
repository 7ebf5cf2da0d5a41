"""Forms of the credentials page. Real validation (and the live test) is in the service."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from clickpro.blueprints.limits import ColumnLength, MaxLength
from clickpro.models import OpenAICredential, WhatsAppCredential
from clickpro.services.credentials.common import SECRET_MAX

NUMBER_INPUT_MAX = 12  # "0.3", "400": the service parses and bounds the value
TEXT_SETTING_MAX = 1000  # the assistant's fixed answers (the service enforces it too)

WEEKDAYS = [
    ("0", _l("Segunda")),
    ("1", _l("Terça")),
    ("2", _l("Quarta")),
    ("3", _l("Quinta")),
    ("4", _l("Sexta")),
    ("5", _l("Sábado")),
    ("6", _l("Domingo")),
]


class WhatsAppForm(FlaskForm):
    """Add a number (validated live on Meta before anything is stored)."""

    display_name = StringField(
        _l("Nome do número (ex.: Vendas, Suporte, Loja Centro)"),
        [Optional(), ColumnLength(WhatsAppCredential.display_name)],
    )
    access_token = PasswordField(
        _l("Token de acesso (usuário do sistema)"), [MaxLength(SECRET_MAX)]
    )
    waba_id = StringField(
        _l("WABA id (conta do WhatsApp Business)"), [ColumnLength(WhatsAppCredential.waba_id)]
    )
    phone_number_id = StringField(
        _l("Phone number id (número remetente)"),
        [ColumnLength(WhatsAppCredential.phone_number_id)],
    )
    app_id = StringField(
        _l("App id (para enviar mídia de modelos)"),
        [Optional(), ColumnLength(WhatsAppCredential.app_id)],
    )
    app_secret = PasswordField(
        _l("App secret do seu app da Meta (opcional)"), [MaxLength(SECRET_MAX)]
    )
    clear_app_secret = BooleanField(_l("Remover o app secret salvo"))
    verify_token = PasswordField(
        _l("Token de verificação do webhook do seu app (opcional)"), [MaxLength(SECRET_MAX)]
    )


class NumberForm(FlaskForm):
    """Edit a number: its name and secrets (its WABA and phone number id are the number)."""

    display_name = StringField(
        _l("Nome do número"), [Optional(), ColumnLength(WhatsAppCredential.display_name)]
    )
    access_token = PasswordField(
        _l("Novo token de acesso (usuário do sistema)"), [MaxLength(SECRET_MAX)]
    )
    app_id = StringField(
        _l("App id (para enviar mídia de modelos)"),
        [Optional(), ColumnLength(WhatsAppCredential.app_id)],
    )
    app_secret = PasswordField(
        _l("App secret do seu app da Meta (opcional)"), [MaxLength(SECRET_MAX)]
    )
    clear_app_secret = BooleanField(_l("Remover o app secret salvo"))
    verify_token = PasswordField(
        _l("Token de verificação do webhook do seu app (opcional)"), [MaxLength(SECRET_MAX)]
    )
    clear_verify_token = BooleanField(_l("Remover o token de verificação salvo"))


class NumberAssistantForm(FlaskForm):
    """The assistant on one number; an empty field uses the client's setting."""

    enabled = SelectField(
        _l("Respostas automáticas neste número"),
        choices=[
            ("default", _l("Como no cliente")),
            ("on", _l("Ligadas")),
            ("off", _l("Desligadas neste número")),
        ],
        default="default",
    )
    instructions = TextAreaField(
        _l("Instruções (persona do assistente)"), [MaxLength(20000)], render_kw={"rows": 4}
    )
    model = StringField(_l("Modelo"), [ColumnLength(OpenAICredential.model)])
    temperature = StringField(_l("Temperatura (0 a 2)"), [MaxLength(NUMBER_INPUT_MAX)])
    handoff_keywords = StringField(
        _l("Palavras que chamam um atendente (separadas por vírgula)"), [MaxLength(2000)]
    )
    fallback_text = TextAreaField(
        _l("Texto quando o assistente não pode responder"), [MaxLength(TEXT_SETTING_MAX)]
    )


class OpenAIForm(FlaskForm):
    api_key = PasswordField(_l("Chave da API da OpenAI"), [MaxLength(SECRET_MAX)])
    model = StringField(
        _l("Modelo"), [ColumnLength(OpenAICredential.model)], default="gpt-4.1-mini"
    )
    instructions = TextAreaField(
        _l("Instruções (persona do assistente)"), [MaxLength(20000)], render_kw={"rows": 6}
    )
    temperature = StringField(
        _l("Temperatura (0 a 2)"), [MaxLength(NUMBER_INPUT_MAX)], default="0.3"
    )
    context_messages = StringField(
        _l("Mensagens recentes enviadas como contexto"),
        [MaxLength(NUMBER_INPUT_MAX)],
        default="12",
    )
    max_output_tokens = StringField(
        _l("Máximo de tokens por resposta"), [MaxLength(NUMBER_INPUT_MAX)], default="400"
    )
    handoff_keywords = StringField(
        _l("Palavras que chamam um atendente (separadas por vírgula)"),
        [MaxLength(2000)],
        default="atendente, humano, falar com alguém, pessoa",
    )
    handoff_text = TextAreaField(
        _l("Texto ao passar a conversa para um atendente"), [MaxLength(TEXT_SETTING_MAX)]
    )
    fallback_text = TextAreaField(
        _l("Texto quando o assistente não pode responder"), [MaxLength(TEXT_SETTING_MAX)]
    )
    ai_enabled = BooleanField(_l("Respostas automáticas com IA ligadas"))
    hours_mode = RadioField(
        _l("Quando responder"),
        choices=[("always", _l("Sempre")), ("custom", _l("Só no horário de atendimento"))],
        default="always",
    )
    hours_days = SelectMultipleField(
        _l("Dias"),
        choices=WEEKDAYS,
        default=["0", "1", "2", "3", "4"],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    hours_start = StringField(_l("Início (HH:MM)"), [MaxLength(5)], default="08:00")
    hours_end = StringField(_l("Fim (HH:MM)"), [MaxLength(5)], default="18:00")
    daily_reply_cap = StringField(
        _l("Limite diário de respostas (0 = sem limite)"),
        [MaxLength(NUMBER_INPUT_MAX)],
        default="0",
    )
    non_text_policy = SelectField(
        _l("Mensagens que não são texto (áudio, imagem…)"),
        choices=[
            ("fallback", _l("Responder com o texto abaixo")),
            ("handoff", _l("Passar para um atendente")),
        ],
        default="fallback",
    )
    non_text_text = TextAreaField(
        _l("Texto para mensagens que não são texto"), [MaxLength(TEXT_SETTING_MAX)]
    )
    # Issue #21 (h5): intents, images and the per-conversation cap (guard_settings.py).
    intents_enabled = BooleanField(
        _l("Entender a intenção antes de responder (pedido de atendente, descadastro, "
           "reclamação)"),
        default=True,
    )  # fmt: skip
    human_team_id = SelectField(
        _l("Equipe para “falar com atendente”"), choices=[], validate_choice=False
    )
    complaint_team_id = SelectField(
        _l("Equipe para reclamações (prioridade urgente)"), choices=[], validate_choice=False
    )
    conversation_reply_cap = StringField(
        _l("Limite de respostas da IA por conversa (0 = sem limite)"),
        [MaxLength(NUMBER_INPUT_MAX)],
        default="0",
    )
    image_max_kb = StringField(
        _l("Tamanho máximo de imagem que a IA vê, em KB (0 = não enviar imagens)"),
        [MaxLength(NUMBER_INPUT_MAX)],
        default="1024",
    )
