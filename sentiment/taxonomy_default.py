"""The default e-commerce taxonomy, seeded by migration and editable in the admin afterwards.

Patterns are lemmas or short lemma phrases; the pipeline lemmatises both the pattern and
the text and drops accents and case, so one line covers every inflection and spelling
("entregar" matches entregas, entregaron, entregado; "devolución" matches "devolucion").
Tuned on the voz_ecommerce_dev set (see sentiment/artifacts/REPORT.md for the scores).
"""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


DEFAULT_TOPICS: list[dict] = [
    {
        "slug": "delivery",
        "name_es": "Entrega",
        "name_en": "Delivery",
        "patterns_es": _lines("""
            entregar
            entrega
            envío
            enviar
            llegar
            tardar
            retraso
            retrasar
            demorar
            demora
            repartidor
            mensajero
            transportista
            courier
            seur
            mrw
            paquetería
            seguimiento
            número de seguimiento
            rastreo
            despachar
            despacho
            punto de recogida
            recoger
            plazo de entrega
            a domicilio
            portería
            extraviar
            perder el paquete
            """),
        "patterns_en": _lines("""
            deliver
            delivery
            shipping
            ship
            shipment
            dispatch
            arrive
            arrival
            courier
            driver
            postman
            tracking
            track
            late
            delay
            delayed
            on time
            parcel
            doorstep
            left outside
            label created
            transit
            lost in the post
            collection point
            pick up
            dhl
            fedex
            royal mail
            turn up
            get here
            got here
            a day early
            days late
            express
            come early
            """),
    },
    {
        "slug": "product_quality",
        "name_es": "Calidad del producto",
        "name_en": "Product quality",
        "patterns_es": _lines("""
            calidad
            de mala calidad
            de buena calidad
            romper
            roto
            rota
            defecto
            defectuoso
            tara
            funcionar
            no funcionar
            fallar
            fallo
            estropear
            averiar
            durar
            duradero
            resistente
            endeble
            material
            tela
            tejido
            costura
            descoser
            desteñir
            encoger
            bolitas
            pantalla
            batería
            teclado
            pixel muerto
            rayado
            rayar
            arañazo
            mancha
            sabor
            fresco
            caducado
            comodísimo
            cómodo
            incómodo
            precioso
            potente
            frágil
            aguantar
            bien hecho
            maravilla
            atascar
            caducidad
            fecha de caducidad
            oler
            suave
            encajar
            pieza
            como en las fotos
            como en la foto
            que en la foto
            """),
        "patterns_en": _lines("""
            quality
            poor quality
            cheaply made
            break
            broken
            broke
            defective
            defect
            faulty
            fault
            work
            stop working
            not working
            malfunction
            durable
            sturdy
            flimsy
            wobbly
            solid
            material
            fabric
            stitching
            seam
            finish
            shrink
            fade
            pilling
            scratch
            scratched
            dent
            crack
            cracked
            screen
            battery
            dead pixel
            taste
            fresh
            stale
            expired
            comfortable
            uncomfortable
            comfy
            well made
            game changer
            as pictured
            as described
            like the picture
            leak
            crispy
            easy to clean
            fell off
            fall off
            snap
            snapped
            chip
            chipped
            freeze
            freezes
            stop spinning
            beautifully made
            skin
            smell
            """),
    },
    {
        "slug": "price",
        "name_es": "Precio",
        "name_en": "Price",
        "patterns_es": _lines("""
            precio
            caro
            barato
            económico
            carísimo
            baratísimo
            pagar de más
            relación calidad precio
            calidad-precio
            calidad precio
            descuento
            oferta
            rebaja
            promoción
            cupón
            código de descuento
            envío gratis
            envío gratuito
            gastos de envío
            costar
            coste
            valer la pena
            merecer la pena
            subir el precio
            aranceles
            aduana
            euro
            €
            mil pesos
            pesos
            $
            """),
        "patterns_en": _lines("""
            price
            pricey
            expensive
            cheap
            overpriced
            affordable
            value for money
            good value
            great value
            worth
            worth it
            cost
            discount
            deal
            sale
            offer
            coupon
            promo code
            voucher
            free shipping
            free delivery
            shipping cost
            delivery charge
            import fees
            customs
            dollar
            £
            rip-off
            rip off
            saving
            subscribe & save
            % off
            $
            """),
    },
    {
        "slug": "customer_service",
        "name_es": "Atención al cliente",
        "name_en": "Customer service",
        "patterns_es": _lines("""
            atención al cliente
            servicio al cliente
            atención
            atender
            servicio de atención
            soporte
            servicio técnico
            chat
            teléfono
            llamar
            llamada
            correo
            email
            responder
            respuesta
            contestar
            reclamación
            reclamar
            queja
            agente
            operador
            dependienta
            dependiente
            vendedor
            el chico
            la chica
            amable
            trato
            tratar
            resolver
            bot
            explicar
            paciencia
            solucionar
            """),
        "patterns_en": _lines("""
            customer service
            customer support
            customer care
            support
            service
            staff
            agent
            representative
            rep
            helpdesk
            help desk
            chat
            live chat
            call
            email
            reply
            respond
            response
            answer
            complaint
            complain
            rude
            helpful
            unhelpful
            friendly
            polite
            resolve
            fix my
            faq
            ignore
            bot
            chatbot
            department
            explain
            patient
            """),
    },
    {
        "slug": "returns_refunds",
        "name_es": "Devoluciones y reembolsos",
        "name_en": "Returns and refunds",
        "patterns_es": _lines("""
            devolver
            devolución
            reembolso
            reembolsar
            devolver el dinero
            cambio
            cambiar
            garantía
            sustituir
            reemplazar
            abonar
            abono
            etiqueta de devolución
            mandar otro
            enviar otro
            mandaron uno nuevo
            """),
        "patterns_en": _lines("""
            return
            returns
            refund
            refunded
            money back
            exchange
            swap
            replacement
            replace
            warranty
            guarantee
            store credit
            return label
            send it back
            sent it back
            send back
            """),
    },
    {
        "slug": "payment",
        "name_es": "Pago",
        "name_en": "Payment",
        "patterns_es": _lines("""
            pago
            pagar
            tarjeta
            cobrar
            cobro
            doble cargo
            cargo
            paypal
            bizum
            apple pay
            google pay
            transferencia
            contra reembolso
            factura
            facturación
            a plazos
            pagar a plazos
            meses sin intereses
            cuotas
            rechazar el pago
            pasarela
            banco
            """),
        "patterns_en": _lines("""
            payment
            pay
            paid
            card
            credit card
            debit card
            charge
            charged
            double charge
            charged twice
            paypal
            apple pay
            google pay
            klarna
            instalment
            installment
            invoice
            vat invoice
            receipt
            billing
            declined
            bank
            transaction
            """),
    },
    {
        "slug": "website_app",
        "name_es": "Web y app",
        "name_en": "Website and app",
        "patterns_es": _lines("""
            web
            página
            página web
            app
            aplicación
            carrito
            cesta
            buscador
            filtro
            cuenta
            iniciar sesión
            contraseña
            registrar
            usuario
            actualización
            navegar
            cargar
            error
            checkout
            proceso de compra
            menú
            """),
        "patterns_en": _lines("""
            website
            site
            web
            page
            app
            application
            cart
            search
            filter
            account
            log in
            login
            sign in
            password
            register
            update
            navigate
            load
            crash
            bug
            glitch
            error
            checkout page
            menu
            tap
            click
            """),
    },
    {
        "slug": "packaging",
        "name_es": "Embalaje",
        "name_en": "Packaging",
        "patterns_es": _lines("""
            embalaje
            embalar
            empaquetar
            empaque
            envoltorio
            envolver
            caja
            sobre de plástico
            plástico
            papel de seda
            papel de burbujas
            plástico de burbujas
            plumavit
            porexpán
            cartón
            precinto
            abollado
            aplastado
            lazo
            """),
        "patterns_en": _lines("""
            packaging
            packed
            pack
            package
            packaged
            box
            shoebox
            wrap
            wrapped
            wrapping
            bubble wrap
            gift wrap
            padding
            envelope
            plastic
            cardboard
            crushed
            squashed
            smashed
            tape
            foam
            """),
    },
    {
        "slug": "stock_availability",
        "name_es": "Stock y disponibilidad",
        "name_en": "Stock and availability",
        "patterns_es": _lines("""
            stock
            existencias
            agotado
            agotar
            sin stock
            fuera de stock
            disponible
            disponibilidad
            no disponible
            reponer
            reposición
            reserva
            preventa
            cancelar por falta
            """),
        "patterns_en": _lines("""
            stock
            in stock
            out of stock
            sold out
            restock
            back in stock
            available
            availability
            unavailable
            backorder
            back order
            pre-order
            preorder
            run out
            ran out
            coming soon
            """),
    },
    {
        "slug": "size_fit",
        "name_es": "Talla y ajuste",
        "name_en": "Size and fit",
        "patterns_es": _lines("""
            talla
            tallaje
            tallar
            quedar grande
            quedar pequeño
            quedar bien
            quedar perfecto
            quedar justo
            quedar enorme
            ajustar
            apretar
            holgado
            ceñido
            tabla de medidas
            guía de tallas
            tabla de tallas
            medida
            número más
            número menos
            calzar
            largo
            corto
            ancho
            estrecho
            """),
        "patterns_en": _lines("""
            size
            sizing
            fit
            fits
            true to size
            runs small
            runs large
            size chart
            size guide
            too small
            too big
            too tight
            too loose
            tight
            loose
            snug
            baggy
            length
            waist
            size up
            size down
            medium
            """),
    },
]
