{#- Cover of the print page (mkdocs-print-site-plugin, add_cover_page). -#}
<div class="fidle-cover">
  <p class="fidle-cover__title">{{ config.site_name }}</p>
  <p class="fidle-cover__subtitle">{{ config.site_description }}</p>
  <p class="fidle-cover__note">Version complète à imprimer&nbsp;: tous les chapitres, les exemples
    et les questions, dans l'ordre du site, avec les figures et les mesures de
    l'entraînement qui a construit ce document.</p>
  <p class="fidle-cover__licence">{{ config.copyright }}</p>
</div>
