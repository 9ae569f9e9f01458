// The Flightdeck sidebar against a server with data: the Releases view lists the project, in the dark
// and in the light theme.
export default async function sidebar(ui) {
  if (!await ui.check('the Flightdeck view container opens from the activity bar', () => ui.openViewContainer('Flightdeck'))) return;
  const listed = await ui.check(`the Releases view shows a row for "${ui.project}"`, async () => {
    const rows = await ui.waitForTreeRow('Releases', ui.project, 60_000);
    ui.log(`rows: ${JSON.stringify(rows)}`);
  });
  // Dark is the default theme, but set it anyway: the picture must not depend on the default.
  await ui.check('the dark theme applies', () => ui.setTheme('Default Dark Modern'));
  await ui.screenshot('sidebar-dark');
  if (!listed) return;
  await ui.check('the light theme applies', () => ui.setTheme('Default Light Modern'));
  await ui.screenshot('sidebar-light');
}
