"""The strings the page's JavaScript shows, translated once per request.

The layout renders ``js_catalog()`` as ``<script type="application/json" id="i18n">``;
``static/js/i18n.js`` reads it (``t("inbox.today")``). Keys are ``<page>.<name>``;
``%(name)s`` placeholders are filled by ``t(key, {name: …})`` in the browser (babel's
python-format check keeps translations' placeholders in step). pt_BR is the source
language; ``scripts/update_translations.sh`` extracts these like any other ``_l()``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from clickpro.labels import labels_for_js, meta_errors_for_js

JS_MESSAGES = {
    # inbox (static/js/inbox/*.js)
    "inbox.contact": _l("Contato"),
    # "Nova conversa" and interactive messages (inbox/newconv.js, inbox/interactive_view.js)
    "inbox.ncNewContact": _l("Conversar com %(value)s (novo contato)"),
    "inbox.ncChange": _l("trocar"),
    "inbox.ncOptedOut": _l("Este contato pediu para não receber mensagens (descadastrado)."),
    "inbox.ncPick": _l("Escolha um contato ou digite um número de telefone com DDD ou um BSUID."),
    "inbox.iaQuoted": _l("Mensagem respondida"),
    "inbox.queued": _l("Na fila"),
    "inbox.sent": _l("Enviada"),
    "inbox.delivered": _l("Entregue"),
    "inbox.read": _l("Lida"),
    "inbox.failed": _l("Falhou"),
    "inbox.unknown": _l("Situação desconhecida"),
    "inbox.note": _l("Nota interna"),
    "inbox.download": _l("Baixar"),
    "inbox.map": _l("Ver no mapa"),
    # media of a bubble (static/js/inbox/media.js, h1)
    "inbox.media.image": _l("Imagem"),
    "inbox.media.sticker": _l("Figurinha"),
    "inbox.media.video": _l("Vídeo"),
    "inbox.media.audio": _l("Áudio"),
    "inbox.media.voice": _l("Mensagem de voz"),
    "inbox.media.document": _l("Documento"),
    "inbox.media.enlarge": _l("Ampliar imagem"),
    "inbox.media.close": _l("Fechar"),
    "inbox.media.pending": _l("baixando mídia…"),
    "inbox.media.transcribing": _l("transcrevendo…"),
    "inbox.media.transcript": _l("Transcrição"),
    "inbox.media.transcriptFailed": _l("Não foi possível transcrever este áudio."),
    "inbox.media.expired": _l("Mídia expirada"),
    "inbox.media.failed": _l("Mídia indisponível"),
    "inbox.media.refetch": _l("Baixar de novo"),
    "inbox.windowOpen": _l("Janela aberta"),
    "inbox.windowClosed": _l("Janela fechada"),
    "inbox.resolve": _l("Resolver"),
    "inbox.reopen": _l("Reabrir"),
    "inbox.ai": _l("IA"),
    "inbox.human": _l("Humano"),
    "inbox.optedOut": _l("Descadastrado"),
    "inbox.no": _l("Não"),
    "inbox.phone": _l("Número"),
    "inbox.username": _l("Usuário"),
    "inbox.number": _l("Número do WhatsApp"),
    "inbox.via": _l("no número %(number)s"),
    "inbox.online": _l("Ao vivo"),
    "inbox.offline": _l("Desconectado — reconectando…"),
    "inbox.empty": _l("Nenhuma conversa."),
    "inbox.noTemplates": _l("Nenhum modelo aprovado."),
    "inbox.header": _l("Cabeçalho"),
    "inbox.body": _l("Corpo"),
    "inbox.button": _l("Botão"),
    "inbox.mediaLink": _l("Link da mídia do cabeçalho"),
    "inbox.error": _l("Não foi possível concluir. Tente de novo."),
    "inbox.today": _l("Hoje"),
    "inbox.yesterday": _l("Ontem"),
    "inbox.optOutStatus": _l("Descadastro"),
    "inbox.metaDetail": _l("Meta: %(detail)s"),
    # snooze and attention (static/js/inbox/snooze.js, attention.js)
    "snooze.until": _l("Adiada até %(time)s"),
    "snooze.wake": _l("clique para reativar agora"),
    "attention.newConversation": _l("Nova conversa: %(name)s"),
    "attention.newMessage": _l("Nova mensagem de %(name)s"),
    "attention.handoff": _l("A IA passou uma conversa para a equipe"),
    "attention.snoozeDue": _l("Conversa adiada voltou"),
    "attention.mute": _l("Silenciar sons"),
    "attention.unmute": _l("Ativar sons"),
    # views, SLA, teams, transfer and history (static/js/inbox/conversations.js, transfer.js)
    "inbox.slaDueIn": _l("vence em %(time)s"),
    "inbox.slaLate": _l("atrasada %(time)s"),
    "inbox.slaFirst": _l("Prazo da primeira resposta"),
    "inbox.slaResolution": _l("Prazo de resolução"),
    "inbox.minutes": _l("%(n)s min"),
    "inbox.hours": _l("%(n)s h"),
    "inbox.days": _l("%(n)s d"),
    "inbox.urgent": _l("Urgente"),
    "inbox.viewEmpty": _l("Nenhuma conversa nesta visão."),
    "inbox.noTeam": _l("Sem equipe"),
    "inbox.teamQueue": _l("Ninguém (fila da equipe)"),
    "inbox.teamMembers": _l("Da equipe"),
    "inbox.otherAgents": _l("Outras pessoas"),
    "inbox.transferred": _l("Conversa transferida."),
    "inbox.historyEmpty": _l("Nada ainda."),
    "inbox.evAssigned": _l("%(actor)s atribuiu a %(target)s"),
    "inbox.evTransferred": _l("%(actor)s transferiu para %(target)s"),
    "inbox.evUnassigned": _l("%(actor)s deixou sem responsável"),
    "inbox.evResolved": _l("%(actor)s resolveu"),
    "inbox.evReopened": _l("%(actor)s reabriu"),
    "inbox.evSnoozed": _l("%(actor)s adiou"),
    "inbox.evUnsnoozed": _l("Voltou do adiamento"),
    "inbox.evOffHours": _l("Resposta automática fora do horário enviada"),
    "inbox.evSlaBreached": _l("Prazo de atendimento estourado"),
    "inbox.evCsat": _l("Avaliação do cliente: %(score)s"),
    "inbox.evOther": _l("%(actor)s: %(kind)s"),
    "inbox.actorSystem": _l("Sistema"),
    "inbox.actorAi": _l("IA"),
    "inbox.actorApi": _l("API"),
    "inbox.actorFlow": _l("Fluxo"),
    "inbox.actorRule": _l("Regra automática"),
    "inbox.actorSomeone": _l("Alguém"),
    # campaign page (static/js/campaign_progress.js)
    "campaign.rate": _l("%(rate)s msg/s"),
    "campaign.eta": _l("Previsão: %(time)s"),
    "campaign.seconds": _l("%(s)s s"),
    "campaign.minutes": _l("%(m)s min %(s)s s"),
    "campaign.hours": _l("%(h)s h %(m)s min"),
    # campaign wizard (static/js/campaign_form.js)
    "campaign.header": _l("Cabeçalho {{%(n)s}}"),
    "campaign.body": _l("Corpo {{%(n)s}}"),
    "campaign.button": _l("Botão %(button)s {{%(n)s}}"),
    "campaign.mediaLink": _l("Link da mídia do cabeçalho (%(format)s)"),
    "campaign.noVariables": _l("Este modelo não tem variáveis."),
    "campaign.audience": _l(
        "%(eligible)s contato(s) vão receber · %(opted_out)s descadastrado(s) · "
        "%(missing)s sem valor para alguma variável"
    ),
    "campaign.audienceSkip": _l("(serão pulados)"),
    "campaign.audienceDefault": _l("(usarão o valor padrão)"),
    "campaign.audienceDefaulted": _l("%(n)s vão receber o valor padrão de alguma variável"),
    "campaign.defaultFor": _l("Valor padrão de %(label)s"),
    "campaign.noDefault": _l("sem padrão: obrigatório"),
    "campaign.pickList": _l("Escolha ao menos uma lista."),
    "campaign.sampleFor": _l("Exemplo para %(name)s (%(phone)s)"),
    "campaign.missing": _l("Sem valor: %(names)s"),
    # template form and preview (static/js/template_form.js, template_preview.js)
    "template.example": _l("Exemplo {{%(n)s}}"),
    "template.exampleLabel": _l("Exemplo da variável %(n)s"),
    "template.examplePlaceholder": _l("Valor de exemplo para {{%(n)s}}"),
    "template.image": _l("Imagem"),
    "template.video": _l("Vídeo"),
    "template.document": _l("Documento"),
    "template.location": _l("Localização"),
    "template.quickReply": _l("Resposta rápida"),
    "template.visitSite": _l("Acessar site"),
    "template.call": _l("Ligar"),
    "template.copyCode": _l("Copiar código"),
    "template.button": _l("Botão"),
    "template.preview": _l("Pré-visualização"),
    "template.typeBody": _l("Digite o texto da mensagem…"),
    "template.read": _l("lida"),
    "template.allOptions": _l("Ver todas as opções"),
    "template.missingVar": _l("falta {{%(n)s}}"),
    "template.varBefore": _l("{{%(n)s}} aparece antes de {{%(m)s}}"),
    "template.badName": _l("O nome deve ter apenas letras minúsculas, números e _."),
    "template.bodyOrder": _l("Variáveis do corpo fora de ordem: %(problem)s."),
    "template.noExample": _l("Falta o exemplo da variável {{%(n)s}}."),
    "template.exampleBreaks": _l(
        "O exemplo de {{%(n)s}} não pode ter quebras de linha nem tabulações."
    ),
    "template.bodyEdges": _l("O corpo não pode começar nem terminar com uma variável."),
    "template.headerOneVar": _l("O cabeçalho pode ter no máximo uma variável: {{1}}."),
    "template.headerNoExample": _l("Falta o exemplo da variável {{1}} do cabeçalho."),
    "template.footerVars": _l("O rodapé não pode ter variáveis."),
    "template.headerTooLong": _l("O cabeçalho passou de %(max)s caracteres."),
    "template.bodyTooLong": _l("O corpo passou de %(max)s caracteres."),
    "template.footerTooLong": _l("O rodapé passou de %(max)s caracteres."),
    "template.tooManyButtons": _l("No máximo %(max)s botões."),
    "template.groupQuickReplies": _l(
        "Agrupe as respostas rápidas: todas antes ou todas depois dos outros botões."
    ),
    "template.buttonTooLong": _l("O texto do botão %(n)s passou de %(max)s caracteres."),
}


def js_catalog() -> dict[str, str]:
    """Every JS string in the request's locale (a plain dict, ready for ``tojson``), with
    the status labels as ``label.<kind>.<CODE>`` and Meta's error codes as
    ``metaError.<code>`` / ``metaStep.<code>`` (``label()`` / ``metaError()`` in i18n.js)."""
    catalog = {key: str(text) for key, text in JS_MESSAGES.items()}
    for kind, codes in labels_for_js().items():
        catalog.update({f"label.{kind}.{code}": text for code, text in codes.items()})
    for code, error in meta_errors_for_js().items():
        catalog[f"metaError.{code}"] = error["explanation"]
        catalog[f"metaStep.{code}"] = error["next_step"]
    return catalog
