// The land-use class colours of /style.json (tiles.LandUseClasses), for
// the charts.
export const LANDUSE_COLORS = {
  '01': '#f3ec9d', '02': '#e3c26b', '03': '#71b36b', '04': '#b9d98a', '05': '#e58a8a', '06': '#c89b8f',
  '07': '#f0a978', '08': '#e69ac3', '09': '#a9a3cf', '10': '#c4c4c4', '11': '#9ccbea', '12': '#d9cbb4',
};
