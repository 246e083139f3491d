/** The favicon (served at /assets/favicon.svg). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><title>Tessera</title><rect width="7" height="7" fill="#1d4ed8"/><rect x="9" width="7" height="7" fill="#c2410c"/><rect y="9" width="7" height="7" fill="#b45309"/><rect x="9" y="9" width="7" height="7" fill="#047857"/></svg>
`;
