// Starts Swagger UI on /docs. A file, not an inline script: the Content-Security-Policy allows
// scripts from this server only. Swagger UI 4.x (the installed swagger_ui_bundle) reads OpenAPI
// 3.0; /openapi.json is 3.1, so it reads the same document re-spelt for 3.0. validatorUrl: null
// keeps it from calling out.
window.ui = SwaggerUIBundle({url: "/docs/openapi-3.0.json", dom_id: "#swagger-ui", validatorUrl: null,
                             deepLinking: true});
