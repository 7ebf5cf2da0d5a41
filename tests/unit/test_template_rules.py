"""Unit tests for clickpro.services.templates.rules (pure domain logic)."""

from __future__ import annotations

import copy

import pytest

from clickpro.services.templates.rules import (
    CATEGORIES,
    HEADER_FORMATS,
    LANGUAGES,
    ButtonDraft,
    TemplateDraft,
    build_components,
    build_send_components,
    draft_from_components,
    render_text,
    validate_draft,
    validate_header_media,
    variable_slots,
)

MB = 1024 * 1024

# The reference example (shared/reference/whatsapp-cloud-api.md, "Templates").
PROMO_COMPONENTS = [
    {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2Uv…"]}},
    {
        "type": "BODY",
        "text": "Oi {{1}}, a Black Friday chegou: {{2}} de desconto!",
        "example": {"body_text": [["Maria", "30%"]]},
    },
    {"type": "FOOTER", "text": "Responda SAIR para não receber mais"},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Parar promoções"},
            {
                "type": "URL",
                "text": "Ver ofertas",
                "url": "https://loja.example/{{1}}",
                "example": ["https://loja.example/bf"],
            },
        ],
    },
]


def promo_draft(**changes) -> TemplateDraft:
    draft = TemplateDraft(
        name="promo_black_friday",
        language="pt_BR",
        category="MARKETING",
        header_format="IMAGE",
        header_handle="4::aW1hZ2Uv…",
        body_text="Oi {{1}}, a Black Friday chegou: {{2}} de desconto!",
        body_examples=["Maria", "30%"],
        footer_text="Responda SAIR para não receber mais",
        buttons=[
            ButtonDraft(type="QUICK_REPLY", text="Parar promoções"),
            ButtonDraft(
                type="URL",
                text="Ver ofertas",
                url="https://loja.example/{{1}}",
                url_example="https://loja.example/bf",
            ),
        ],
    )
    for key, value in changes.items():
        setattr(draft, key, value)
    return draft


def errors_for(**changes) -> dict[str, list[str]]:
    return validate_draft(promo_draft(**changes))


def joined(errors: dict[str, list[str]], key: str) -> str:
    return " | ".join(errors.get(key, []))


# --------------------------------------------------------------------------- constants


def test_constants_match_contract():
    assert HEADER_FORMATS == ("NONE", "TEXT", "IMAGE", "VIDEO", "DOCUMENT")
    assert CATEGORIES == ("MARKETING", "UTILITY", "AUTHENTICATION")
    codes = [code for code, _ in LANGUAGES]
    assert codes[:10] == [
        "pt_BR",
        "en_US",
        "es",
        "es_AR",
        "es_MX",
        "en_GB",
        "pt_PT",
        "fr",
        "it",
        "de",
    ]
    assert len(codes) == len(set(codes))


def test_valid_reference_draft_has_no_errors():
    assert validate_draft(promo_draft()) == {}


def test_minimal_draft_is_valid():
    draft = TemplateDraft(name="aviso_simples", body_text="Seu pedido foi enviado hoje.")
    assert validate_draft(draft) == {}


# --------------------------------------------------------------------------- name, language, category


@pytest.mark.parametrize("name", ["promo", "promo_2024", "a", "x" * 512, "123_abc"])
def test_valid_names(name):
    assert "name" not in errors_for(name=name)


@pytest.mark.parametrize(
    "name", ["Promo", "promo black", "promoção", "promo-bf", "promo.bf", " promo", "PROMO"]
)
def test_invalid_names_explain_allowed_characters(name):
    assert "apenas letras minúsculas, números e _" in joined(errors_for(name=name), "name")


def test_empty_and_too_long_names():
    assert "obrigatório" in joined(errors_for(name=""), "name")
    assert "obrigatório" in joined(errors_for(name="   "), "name")
    assert "512" in joined(errors_for(name="a" * 513), "name")


def test_language_and_category():
    assert "language" not in errors_for(language="en_US")
    assert "language" in errors_for(language="xx_YY")
    assert "category" not in errors_for(category="UTILITY")
    assert "category" in errors_for(category="PROMO")


def test_authentication_category_is_refused_with_clear_message():
    message = joined(errors_for(category="AUTHENTICATION"), "category")
    assert "Autenticação" in message and "Utilidade" in message


# --------------------------------------------------------------------------- header


def text_header(**changes):
    return errors_for(header_format="TEXT", header_handle="", **changes)


def test_text_header_valid_with_and_without_variable():
    assert text_header(header_text="Ofertas da semana") == {}
    assert text_header(header_text="Oferta para {{1}}", header_example="Maria") == {}


def test_text_header_rules():
    assert "header_text" in text_header(header_text="")
    assert "60" in joined(text_header(header_text="x" * 61), "header_text")
    assert "header_text" not in text_header(header_text="x" * 60)
    two = text_header(header_text="{{1}} e {{2}} hoje", header_example="a")
    assert "no máximo uma variável" in joined(two, "header_text")
    assert "header_text" in text_header(header_text="Oferta {{2}}", header_example="a")
    assert "exemplo" in joined(text_header(header_text="Oferta {{1}}"), "header_example")


def test_invalid_header_format_and_media_without_handle():
    assert "header_format" in errors_for(header_format="AUDIO")
    for fmt in ("IMAGE", "VIDEO", "DOCUMENT"):
        assert "header_handle" in errors_for(header_format=fmt, header_handle="")
    assert errors_for(header_format="NONE", header_handle="") == {}


# --------------------------------------------------------------------------- body


def body(text, examples=()):
    return errors_for(body_text=text, body_examples=list(examples))


def test_body_required_and_length():
    assert "obrigatório" in joined(body(""), "body_text")
    assert "1024" in joined(body("a " * 513), "body_text")
    assert "body_text" not in body("a" * 1024)


def test_body_variable_out_of_order():
    errors = body("Olá Maria, {{2}} e depois {{1}} chegaram na loja hoje", ["a", "b"])
    assert "{{2}} aparece antes de {{1}}" in joined(errors, "body_text")


def test_body_variable_gap():
    errors = body("Olá {{1}}, seu pedido de {{3}} foi enviado hoje mesmo", ["a", "b"])
    assert "falta {{2}}" in joined(errors, "body_text")


def test_body_variable_zero_and_malformed():
    assert "body_text" in body("Olá {{0}}, seu pedido foi enviado hoje mesmo", ["a"])
    errors = body("Olá {{nome}}, seu pedido foi enviado hoje mesmo")
    assert "{{nome}}" in joined(errors, "body_text")


def test_repeated_variable_counts_once():
    errors = body("Olá {{1}}, tudo bem com você {{1}}? Temos novidades hoje", ["Ana"])
    assert errors == {}


def test_body_missing_or_empty_examples():
    text = "Oi {{1}}, a Black Friday chegou: {{2}} de desconto!"
    assert "{{2}}" in joined(body(text, ["Maria"]), "body_examples")
    assert "{{1}}" in joined(body(text, ["  ", "30%"]), "body_examples")
    assert "body_examples" in body(text, [])


@pytest.mark.parametrize("bad", ["linha\noutra", "com\ttab", "quatro    espaços"])
def test_body_examples_without_newlines_tabs_or_many_spaces(bad):
    errors = body("Oi {{1}}, a Black Friday chegou: {{2}} de desconto!", ["Maria", bad])
    assert "quebras de linha" in joined(errors, "body_examples")


def test_body_cannot_start_or_end_with_variable():
    start = body("{{1}}, a Black Friday chegou com muitos descontos", ["Maria"])
    end = body("A Black Friday chegou com muitos descontos para {{1}}", ["Maria"])
    assert "começar nem terminar" in joined(start, "body_text")
    assert "começar nem terminar" in joined(end, "body_text")
    assert body("A Black Friday chegou com descontos para {{1}}!", ["Maria"]) == {}


def test_too_many_variables_for_text_length():
    errors = body("Oi {{1}} seu {{2}} chegou {{3}} hoje", ["a", "b", "c"])
    assert "variáveis demais" in joined(errors, "body_text")
    ok = body("Oi {{1}}, seu pedido {{2}} chegou e será entregue hoje", ["a", "b"])
    assert ok == {}


# --------------------------------------------------------------------------- footer


def test_footer_rules():
    assert "60" in joined(errors_for(footer_text="x" * 61), "footer_text")
    assert "footer_text" not in errors_for(footer_text="x" * 60)
    assert "variáveis" in joined(errors_for(footer_text="Até {{1}}"), "footer_text")
    assert "footer_text" not in errors_for(footer_text="")


# --------------------------------------------------------------------------- buttons


def qr(text):
    return ButtonDraft(type="QUICK_REPLY", text=text)


def url_button(text="Ver", url="https://loja.example/ofertas", example=""):
    return ButtonDraft(type="URL", text=text, url=url, url_example=example)


def phone_button(number="+5511999990000"):
    return ButtonDraft(type="PHONE_NUMBER", text="Ligar", phone_number=number)


def test_too_many_buttons():
    errors = errors_for(buttons=[qr(f"Opção {i}") for i in range(11)])
    assert "10" in joined(errors, "buttons")
    assert "buttons" not in errors_for(buttons=[qr(f"Opção {i}") for i in range(10)])


def test_button_type_limits():
    urls = [url_button(f"Link {i}") for i in range(3)]
    assert "2" in joined(errors_for(buttons=urls), "buttons")
    phones = [phone_button(), phone_button("+5511988887777")]
    phones[1].text = "Outro"
    assert "telefone" in joined(errors_for(buttons=phones), "buttons")
    codes = [
        ButtonDraft(type="COPY_CODE", example="BF30"),
        ButtonDraft(type="COPY_CODE", example="X1"),
    ]
    assert "copiar código" in joined(errors_for(buttons=codes), "buttons")


def test_button_text_required_and_max_25():
    assert "buttons.0" in errors_for(buttons=[qr("")])
    assert "25" in joined(errors_for(buttons=[qr("x" * 26)]), "buttons.0")
    assert errors_for(buttons=[qr("x" * 25)]) == {}


def test_duplicate_button_text():
    assert "mesmo texto" in joined(errors_for(buttons=[qr("Sim"), qr("sim")]), "buttons.1")


def test_unknown_button_type():
    assert "não suportado" in joined(
        errors_for(buttons=[ButtonDraft(type="FLOW", text="x")]), "buttons.0"
    )


def test_quick_replies_must_be_grouped():
    interleaved = [qr("Sim"), url_button(), qr("Não")]
    assert "Agrupe" in joined(errors_for(buttons=interleaved), "buttons")
    assert errors_for(buttons=[qr("Sim"), qr("Não"), url_button()]) == {}
    assert errors_for(buttons=[url_button(), phone_button(), qr("Sim"), qr("Não")]) == {}
    cta_split = [url_button(), qr("Sim"), phone_button()]
    assert "Agrupe" in joined(errors_for(buttons=cta_split), "buttons")


def test_url_button_rules():
    assert errors_for(buttons=[url_button()]) == {}
    assert "http" in joined(errors_for(buttons=[url_button(url="loja.example/x")]), "buttons.0")
    assert "http" in joined(errors_for(buttons=[url_button(url="ftp://loja.example")]), "buttons.0")
    assert "buttons.0" in errors_for(buttons=[url_button(url="")])
    not_at_end = url_button(url="https://loja.example/{{1}}/ofertas", example="https://x.example/a")
    assert "final do endereço" in joined(errors_for(buttons=[not_at_end]), "buttons.0")
    two_vars = url_button(url="https://loja.example/{{1}}/{{2}}", example="a")
    assert "no máximo uma variável" in joined(errors_for(buttons=[two_vars]), "buttons.0")
    no_example = url_button(url="https://loja.example/{{1}}")
    assert "exemplo" in joined(errors_for(buttons=[no_example]), "buttons.0")
    ok = url_button(url="https://loja.example/{{1}}", example="https://loja.example/bf")
    assert errors_for(buttons=[ok]) == {}


@pytest.mark.parametrize("number", ["+5511999990000", "+55 (11) 99999-0000", "+12025550123"])
def test_valid_phone_numbers(number):
    assert errors_for(buttons=[phone_button(number)]) == {}


@pytest.mark.parametrize("number", ["", "11999990000", "+55", "+55119999900001234", "+55abc12345"])
def test_invalid_phone_numbers(number):
    assert "internacional" in joined(errors_for(buttons=[phone_button(number)]), "buttons.0")


def test_copy_code_button():
    assert errors_for(buttons=[ButtonDraft(type="COPY_CODE", example="BF30")]) == {}
    assert "buttons.0" in errors_for(buttons=[ButtonDraft(type="COPY_CODE")])
    too_long = ButtonDraft(type="COPY_CODE", example="X" * 16)
    assert "15" in joined(errors_for(buttons=[too_long]), "buttons.0")


# --------------------------------------------------------------------------- build_components


def test_build_components_matches_meta_reference_example():
    assert build_components(promo_draft()) == PROMO_COMPONENTS


def test_build_components_text_header_phone_and_copy_code():
    draft = TemplateDraft(
        name="pedido",
        category="UTILITY",
        header_format="TEXT",
        header_text=" Pedido de {{1}} ",
        header_example="Maria",
        body_text="Seu pedido foi enviado hoje e chega amanhã.",
        buttons=[
            ButtonDraft(type="PHONE_NUMBER", text="Ligar", phone_number="+55 (11) 3000-0000"),
            ButtonDraft(
                type="URL", text="Rastrear", url="https://r.example/{{1}}", url_example="abc"
            ),
            ButtonDraft(type="COPY_CODE", example="BF30"),
        ],
    )
    assert build_components(draft) == [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Pedido de {{1}}",
            "example": {"header_text": ["Maria"]},
        },
        {"type": "BODY", "text": "Seu pedido foi enviado hoje e chega amanhã."},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "PHONE_NUMBER", "text": "Ligar", "phone_number": "+551130000000"},
                {
                    "type": "URL",
                    "text": "Rastrear",
                    "url": "https://r.example/{{1}}",
                    "example": ["https://r.example/abc"],
                },
                {"type": "COPY_CODE", "example": "BF30"},
            ],
        },
    ]


def test_build_components_without_header_footer_buttons_or_variables():
    draft = TemplateDraft(name="x", body_text="Olá, tudo bem?", body_examples=["sobra"])
    assert build_components(draft) == [{"type": "BODY", "text": "Olá, tudo bem?"}]


# --------------------------------------------------------------------------- draft_from_components


def test_draft_from_components_round_trip():
    draft = draft_from_components("promo_black_friday", "pt_BR", "MARKETING", PROMO_COMPONENTS)
    assert draft == promo_draft()
    assert build_components(draft) == PROMO_COMPONENTS


def test_draft_from_components_round_trip_text_header_and_all_buttons():
    original = TemplateDraft(
        name="t",
        header_format="TEXT",
        header_text="Oi {{1}}",
        header_example="Ana",
        body_text="Seu código de desconto {{1}} vale até domingo, aproveite!",
        body_examples=["BF30"],
        footer_text="Loja Exemplo",
        buttons=[
            ButtonDraft(type="COPY_CODE", example="BF30"),
            ButtonDraft(type="PHONE_NUMBER", text="Ligar", phone_number="+551130000000"),
            ButtonDraft(type="QUICK_REPLY", text="Parar promoções"),
        ],
    )
    components = build_components(original)
    again = draft_from_components("t", "pt_BR", "MARKETING", components)
    assert again == original
    assert build_components(again) == components


def test_draft_from_components_accepts_lower_case_and_unknown_buttons():
    components = [
        {"type": "body", "text": "Olá"},
        {"type": "buttons", "buttons": [{"type": "flow", "text": "Abrir"}]},
    ]
    draft = draft_from_components("x", "pt_BR", "UTILITY", components)
    assert draft.body_text == "Olá"
    assert draft.buttons[0].type == "FLOW"
    assert "não suportado" in joined(validate_draft(draft), "buttons.0")


# --------------------------------------------------------------------------- variable_slots


def test_variable_slots_reference_example():
    assert variable_slots(PROMO_COMPONENTS) == {
        "header": 0,
        "body": 2,
        "buttons": {"1": 1},
        "header_media": "IMAGE",
    }


def test_variable_slots_text_header_copy_code_and_no_variables():
    components = [
        {"type": "HEADER", "format": "TEXT", "text": "Oi {{1}}"},
        {"type": "BODY", "text": "Sem variáveis"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "URL", "text": "Site", "url": "https://x.example"},
                {"type": "COPY_CODE", "example": "BF30"},
            ],
        },
    ]
    assert variable_slots(components) == {
        "header": 1,
        "body": 0,
        "buttons": {"1": 1},
        "header_media": None,
    }
    assert variable_slots([]) == {"header": 0, "body": 0, "buttons": {}, "header_media": None}


# --------------------------------------------------------------------------- build_send_components


PROMO_VALUES = {
    "header_media": {"link": "https://…/bf.jpg"},
    "body": ["Maria", "30%"],
    "buttons": {"1": ["bf"]},
}


def test_build_send_components_reference_shape():
    # Reference "Sending" example; the URL button is index "1" in promo_black_friday
    # (index "0" is the quick reply).
    assert build_send_components(PROMO_COMPONENTS, PROMO_VALUES) == [
        {
            "type": "header",
            "parameters": [{"type": "image", "image": {"link": "https://…/bf.jpg"}}],
        },
        {
            "type": "body",
            "parameters": [{"type": "text", "text": "Maria"}, {"type": "text", "text": "30%"}],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "1",
            "parameters": [{"type": "text", "text": "bf"}],
        },
    ]


def test_build_send_components_media_by_id_and_document_filename():
    components = [{"type": "HEADER", "format": "DOCUMENT"}, {"type": "BODY", "text": "Segue"}]
    result = build_send_components(
        components, {"header_media": {"id": "123", "filename": "nf.pdf"}}
    )
    assert result == [
        {
            "type": "header",
            "parameters": [{"type": "document", "document": {"id": "123", "filename": "nf.pdf"}}],
        }
    ]


def test_build_send_components_text_header_and_copy_code():
    components = [
        {"type": "HEADER", "format": "TEXT", "text": "Oi {{1}}"},
        {"type": "BODY", "text": "Use o código {{1}} na loja hoje"},
        {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "BF30"}]},
    ]
    values = {"header": ["Ana"], "body": ["BF30"], "buttons": {0: ["BF30"]}}
    assert build_send_components(components, values) == [
        {"type": "header", "parameters": [{"type": "text", "text": "Ana"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "BF30"}]},
        {
            "type": "button",
            "sub_type": "copy_code",
            "index": "0",
            "parameters": [{"type": "coupon_code", "coupon_code": "BF30"}],
        },
    ]


def test_build_send_components_without_variables():
    assert build_send_components([{"type": "BODY", "text": "Olá"}], {}) == []


@pytest.mark.parametrize(
    "values",
    [
        {**PROMO_VALUES, "body": ["Maria"]},
        {**PROMO_VALUES, "body": ["Maria", "30%", "extra"]},
        {**PROMO_VALUES, "buttons": {}},
        {**PROMO_VALUES, "buttons": {"1": ["bf"], "0": ["x"]}},
        {**PROMO_VALUES, "header": ["x"]},
        {**PROMO_VALUES, "header_media": None},
        {**PROMO_VALUES, "header_media": {"url": "https://x"}},
        {**PROMO_VALUES, "body": ["", "30%"]},
    ],
)
def test_build_send_components_mismatch_raises_pt_br(values):
    with pytest.raises(ValueError) as exc:
        build_send_components(PROMO_COMPONENTS, values)
    assert any(word in str(exc.value) for word in ("variáve", "mídia", "vazio", "não tem"))


def test_build_send_components_normalises_newlines_in_values():
    values = {**PROMO_VALUES, "body": ["Maria\nSilva", "30%    off"]}
    body = build_send_components(PROMO_COMPONENTS, values)[1]["parameters"]
    assert [p["text"] for p in body] == ["Maria Silva", "30%   off"]


def test_build_send_components_does_not_mutate_inputs():
    components, values = copy.deepcopy(PROMO_COMPONENTS), copy.deepcopy(PROMO_VALUES)
    build_send_components(components, values)
    assert components == PROMO_COMPONENTS and values == PROMO_VALUES


# --------------------------------------------------------------------------- render_text


def test_render_text_uses_examples_by_default():
    assert render_text(PROMO_COMPONENTS) == {
        "header": None,
        "header_format": "IMAGE",
        "body": "Oi Maria, a Black Friday chegou: 30% de desconto!",
        "footer": "Responda SAIR para não receber mais",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Parar promoções"},
            {"type": "URL", "text": "Ver ofertas"},
        ],
    }


def test_render_text_uses_values_and_keeps_unknown_placeholders():
    rendered = render_text(PROMO_COMPONENTS, {"body": ["João", "50%"]})
    assert rendered["body"] == "Oi João, a Black Friday chegou: 50% de desconto!"
    bare = [
        {"type": "HEADER", "format": "TEXT", "text": "Olá {{1}}"},
        {"type": "BODY", "text": "Pedido {{1}} enviado"},
        {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "X"}]},
    ]
    result = render_text(bare, {"header": ["Ana"]})
    assert result["header"] == "Olá Ana"
    assert result["header_format"] == "TEXT"
    assert result["body"] == "Pedido {{1}} enviado"
    assert result["footer"] is None
    assert result["buttons"] == [{"type": "COPY_CODE", "text": "Copiar código"}]


def test_render_text_body_only():
    assert render_text([{"type": "BODY", "text": "Olá"}]) == {
        "header": None,
        "header_format": "NONE",
        "body": "Olá",
        "footer": None,
        "buttons": [],
    }


# --------------------------------------------------------------------------- media sniffing

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 100
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 100
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 100
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100


@pytest.mark.parametrize(
    "content, fmt, mime",
    [
        (JPEG, "IMAGE", "image/jpeg"),
        (PNG, "IMAGE", "image/png"),
        (MP4, "VIDEO", "video/mp4"),
        (PDF, "DOCUMENT", "application/pdf"),
    ],
)
def test_media_sniffing_accepts_by_magic_bytes(content, fmt, mime):
    assert validate_header_media(content, fmt) == mime


@pytest.mark.parametrize(
    "content, fmt",
    [
        (EXE, "IMAGE"),  # a .exe renamed .jpg: the name is never looked at
        (PDF, "IMAGE"),
        (PNG, "VIDEO"),
        (MOV, "VIDEO"),
        (JPEG, "DOCUMENT"),
        (b"just some text", "DOCUMENT"),
    ],
)
def test_media_sniffing_refuses_wrong_content(content, fmt):
    with pytest.raises(ValueError, match="conteúdo detectado"):
        validate_header_media(content, fmt)


def test_exe_renamed_jpg_message_names_executable():
    with pytest.raises(ValueError, match="executável"):
        validate_header_media(EXE, "IMAGE")


@pytest.mark.parametrize(
    "content, fmt, limit",
    [
        (JPEG, "IMAGE", 5 * MB),
        (MP4, "VIDEO", 16 * MB),
        (PDF, "DOCUMENT", 100 * MB),
    ],
)
def test_media_size_limits(content, fmt, limit):
    at_limit = content + b"\x00" * (limit - len(content))
    assert validate_header_media(at_limit, fmt)
    with pytest.raises(ValueError, match=f"limite da Meta .* {limit // MB} MB"):
        validate_header_media(at_limit + b"\x00", fmt)


def test_twenty_mb_image_is_refused_with_size_in_message():
    with pytest.raises(ValueError, match="20,0 MB"):
        validate_header_media(JPEG + b"\x00" * (20 * MB), "IMAGE")


def test_media_empty_or_not_media_format():
    with pytest.raises(ValueError, match="vazio"):
        validate_header_media(b"", "IMAGE")
    with pytest.raises(ValueError, match="não aceita"):
        validate_header_media(JPEG, "TEXT")


def test_text_header_without_line_breaks():
    assert "quebras de linha" in joined(text_header(header_text="Oferta\nda semana"), "header_text")


def test_build_send_components_accepts_lone_values_and_reports_bad_button_keys():
    values = {
        "header_media": {"link": "https://x/bf.jpg"},
        "body": ["Maria", 30],
        "buttons": {1: "bf"},
    }
    result = build_send_components(PROMO_COMPONENTS, values)
    assert result[1]["parameters"][1] == {"type": "text", "text": "30"}
    assert result[2]["parameters"] == [{"type": "text", "text": "bf"}]
    with pytest.raises(ValueError, match="não tem variável"):
        build_send_components(
            PROMO_COMPONENTS, {**PROMO_VALUES, "buttons": {"1": ["bf"], "x": ["a"]}}
        )
