/** The console's only script (served at /assets/admin.js): draws the dashboard chart from data-* attributes; pages work without it. */
export const ADMIN_JS = `// Tessera admin console: progressive enhancement only (pages work without it). Served from
// /assets under a CSP that forbids inline script; reads its data from data-* attributes.
(() => {
  const canvas = document.getElementById('activity-chart');
  if (canvas && typeof window.Chart === 'function') {
    let series;
    try {
      series = JSON.parse(canvas.dataset.series || '{}');
    } catch {
      series = null;
    }
    if (series && Array.isArray(series.labels)) {
      const line = (label, data, color) => ({
        label,
        data,
        borderColor: color,
        backgroundColor: color,
        tension: 0.25,
        pointRadius: 0,
        borderWidth: 2,
      });
      new window.Chart(canvas, {
        type: 'line',
        data: {
          labels: series.labels,
          datasets: [
            line('Logins', series.logins, '#1d4ed8'),
            line('Revocations', series.revocations, '#b45309'),
            line('Detections', series.detections, '#b91c1c'),
          ],
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          interaction: { mode: 'index', intersect: false },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 12 } } },
        },
      });
    }
  }
})();
`;
