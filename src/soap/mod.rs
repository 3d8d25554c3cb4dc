//! OCPP 1.5 and 1.6 over SOAP: envelope, message tables, codec.
