"""What is kept of a customer's email: the new words, in Spanish and English."""

from support.email_text import html_to_text, reply_text_strip


def test_a_gmail_spanish_reply_keeps_the_new_words_and_drops_the_quote():
    text = (
        "Gracias, pero el pedido llegó roto.\n\nUn saludo,\nMaría\n\n"
        "El mar, 3 jun 2025 a las 10:15, Tienda Demo (<soporte@tienda.example>) escribió:\n"
        "> ¿Qué tal tu pedido?\n"
    )

    assert reply_text_strip(text) == "Gracias, pero el pedido llegó roto.\n\nUn saludo,\nMaría"


def test_a_quote_header_wrapped_over_two_lines_is_found():
    text = "Still waiting.\n\nOn Wed, 4 Jun 2025 at 17:30, Tienda Demo <soporte@tienda.example>\nwrote:\n\n> Hello\n"

    assert reply_text_strip(text) == "Still waiting."


def test_a_signature_after_the_dash_dash_line_is_dropped():
    assert reply_text_strip("Please refund me.\n\n-- \nJohn Smith\n+44 20 7946 0000") == "Please refund me."


def test_sent_from_my_phone_and_what_follows_are_dropped_in_both_languages():
    assert reply_text_strip("Todo perfecto.\n\nEnviado desde mi iPhone\n\n> El 3 jun…") == "Todo perfecto."
    assert reply_text_strip("All good.\n\nSent from my Galaxy") == "All good."
    assert reply_text_strip("Vale.\n\nObtener Outlook para Android") == "Vale."


def test_an_outlook_header_block_starts_the_history():
    text = (
        "No me ha llegado nada.\n\n________________________________\nDe: Tienda Demo <soporte@tienda.example>\n"
        "Enviado: martes, 3 de junio de 2025 10:15\nPara: Ana\nAsunto: Tu pedido\n\nHola Ana"
    )
    without_rule = text.replace("________________________________\n", "")

    assert reply_text_strip(text) == "No me ha llegado nada."
    assert reply_text_strip(without_rule) == "No me ha llegado nada."


def test_forwarded_and_original_message_marks_start_the_history():
    assert reply_text_strip("Mirad esto\n\n-----Mensaje original-----\nDe: x") == "Mirad esto"
    assert reply_text_strip("See below\n---------- Forwarded message ---------\nFrom: x") == "See below"


def test_words_that_only_look_like_headers_are_kept():
    text = "El repartidor me dijo que volvería.\nDe: nada, gracias por preguntar.\nGracias, pero sigo sin pedido."

    assert reply_text_strip(text) == text


def test_html_is_read_as_text_without_the_quoted_history():
    html = (
        "<html><head><style>p{margin:0}</style></head><body><p>Hola,&nbsp;el pedido <b>no</b> llegó.</p>"
        "<div>Gracias</div><div class='gmail_quote'>El lun. escribió:<blockquote>¿Qué tal?</blockquote></div>"
        "<blockquote type='cite'>Otro texto citado</blockquote></body></html>"
    )

    assert html_to_text(html) == "Hola, el pedido no llegó.\n\nGracias"
