// The API reference page: loads Swagger UI (served by the panel) and renders the document the
// page names. No inline script, so the panel's Content-Security-Policy stays as it is.
(() => {
  const root = document.getElementById('swagger-ui');
  if (!root) return;
  const script = document.createElement('script');
  script.src = root.dataset.bundle;
  script.onload = () => {
    window.SwaggerUIBundle({
      url: root.dataset.spec,
      domNode: root,
      deepLinking: true,
      // No calls to swagger.io's validator: nothing leaves the panel.
      validatorUrl: null,
      tryItOutEnabled: false,
    });
  };
  document.head.append(script);
})();
